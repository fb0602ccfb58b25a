"""Public uplift API: ``from guestloyalty.uplift import UpliftModel``.

``UpliftModel().fit(X, treatment, y).predict(X)`` gives the estimated uplift per row (see
:mod:`guestloyalty.models.uplift`); ``qini_auc_score`` measures a ranking the way
scikit-uplift 0.5.1 does.
"""

from guestloyalty.evaluation.uplift_metrics import qini_auc_score, qini_curve, uplift_at_k
from guestloyalty.models.uplift import LEARNERS, UpliftModel

__all__ = ["LEARNERS", "UpliftModel", "qini_auc_score", "qini_curve", "uplift_at_k"]
