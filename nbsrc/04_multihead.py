# %% [markdown]
# # 04_multihead (being written)
#
# This chapter is being written.

# %%
import dtcart
