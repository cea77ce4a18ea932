# %% [markdown]
# # 03_attention (being written)
#
# This chapter is being written.

# %%
import dtcart
