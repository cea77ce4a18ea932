# %% [markdown]
# # 06_decision_transformer (being written)
#
# This chapter is being written.

# %%
import dtcart
