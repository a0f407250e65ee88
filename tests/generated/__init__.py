"""Implementations written by a generator, each with its proven verdict (issue 20, item 7).

The hand-written battery (`tests/learners/`) taught the binder 32 idioms; people write thousands.
Here hypothesis draws a `Design` (`design.py`: what is called, the names from `vocabulary.py`, layout,
state shape, weight storage, biases, what comes back, refusals, first-call side effects, and one
mistake from `mistakes.py` or none), `writer.py` writes it as a Python file with the declaration a user
would need, `truth.py` proves its label against torch.nn without the plugin, and `outcome.py` runs
the plugin on it as a user would and sorts what happened. `tests/test_generated.py` is the property;
`bench/generated.py` runs a thousand.
"""
