# %% [markdown]
# # 02_control_and_data (being written)
#
# This chapter is being written.

# %%
import dtcart
