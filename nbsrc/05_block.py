# %% [markdown]
# # 05_block (being written)
#
# This chapter is being written.

# %%
import dtcart
