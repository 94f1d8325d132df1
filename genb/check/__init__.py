"""The alignment checker: measure how far enhanced samples drifted from their ground truth.

``genb check RUN --noise 0.4`` (:mod:`genb.check.stage`); pure metrics in
:mod:`genb.check.metrics`, estimators in :mod:`genb.check.estimators`, decision
rules in :mod:`genb.check.decide`, summaries in :mod:`genb.check.summary`,
drawings for ``genb show`` in :mod:`genb.core.draw`.
"""
