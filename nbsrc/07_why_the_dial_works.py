# %% [markdown]
# # Why the dial works
#
# {doc}`06_decision_transformer` showed that the Decision Transformer plays roughly the return it is
# asked for. This chapter shows why. (Symbols: {doc}`notation`.)
