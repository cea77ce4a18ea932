# %% [markdown]
# # appendix_performance (being written)
#
# This chapter is being written.

# %%
import dtcart
