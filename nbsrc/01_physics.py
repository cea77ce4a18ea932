# %% [markdown]
# # 01_physics (being written)
#
# This chapter is being written.

# %%
import dtcart
