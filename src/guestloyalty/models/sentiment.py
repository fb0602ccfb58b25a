"""Review sentiment in [-1, 1] and complaint topics, learned from the hotel's own rated reviews.

Weak supervision: every review that carries an NPS or a rating is a labelled example (NPS 0-10
and rating 1-5 both map onto [-1, 1]; the midpoints NPS 5 and rating 3 are 0). A TF-IDF of
words and word pairs (sublinear counts, smoothed idf, unit length) feeds a ridge regression;
out-of-fold predictions calibrate its output linearly onto the label scale, so the sentiment
of a text reads like the score its writer would have given. The whole featurisation runs in
polars (tokens, pairs, counts, idf joins), for training and for scoring alike, so the 1M-review
path never loops in Python; scikit-learn only solves the ridge.

When there are too few rated texts to learn from, a small lexicon (:mod:`sentiment_lexicon`,
with negation) scores the text instead. ``method`` records which one scored each review:

- ``tfidf_ridge`` — the learned model;
- ``lexicon`` — the fallback lexicon;
- ``rating_only`` — no text, the review's own NPS / rating;
- ``none`` — neither text nor a score (sentiment null).

Topics come from keyword patterns per clause (a clause ends at . ! ? ; : or "but"), and a topic
is negative where a clause that mentions it pulls the score down: what its words add to an
empty text (model) or its lexicon valence (fallback) is below ``CLAUSE_NEGATIVE_BELOW``. A
text that says the problem was fixed ("fixed", "resolved", "apologised", "refunded", ...)
marks its complaints resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from guestloyalty.models.sentiment_lexicon import LEXICON, NEGATORS

#: sentiment below this is ``negative``; from POSITIVE_FROM on it is ``positive``
NEGATIVE_BELOW = 0.0
POSITIVE_FROM = 0.5
#: a clause whose pull on the score is below this makes its topics negative (on Booking.com,
#: clauses of the "disliked" part: 79% flagged, of the "liked" part 17%; at 0: 86% / 27%)
CLAUSE_NEGATIVE_BELOW = -0.05
#: fewer rated texts than this: the lexicon scores the texts
MIN_RATED_TEXTS = 200

TOKEN = r"\b\w\w+\b"
_APOSTROPHES = r"['’`]"
_CLAUSE_BREAK = r"\b(but|however|although|though|except|apart from|unfortunately)\b"
_CLAUSE = r"[^.!?;:\n()]+"

#: topic -> pattern over lower-cased text without apostrophes
TOPICS: dict[str, str] = {
    "cleanliness": r"\b(clean\w*|dirt\w*|filth\w*|dust\w*|stain\w*|hairs?|smell\w*|stink\w*|"
    r"mou?ld\w*|hygien\w*|spotless|tidy|untidy|housekeep\w*)\b",
    "noise": r"\b(nois\w*|loud\w*|quiet\w*|thin walls?|soundproof\w*|music|part(y|ies)|"
    r"construction|traffic|snor\w*|banging)\b",
    "staff": r"\b(staff|reception\w*|front desk|concierge|manager\w*|employee\w*|waiter\w*|"
    r"waitress\w*|rude\w*|polite\w*|friendly|unfriendly|helpful|unhelpful|service|porter\w*|"
    r"security|housekeeper\w*)\b",
    "room": r"\b(room|rooms|beds?|mattress\w*|pillows?|air con\w*|air conditioning|aircon|"
    r"heating|heater|radiator|windows?|carpet\w*|furniture|tv|television|fridge|kettle|"
    r"balcony|wardrobe|curtains?)\b",
    "bathroom": r"\b(bath\w*|shower\w*|toilet\w*|towels?|sink|basin|hot water|water pressure|"
    r"drain\w*|taps?|toiletries|shampoo|wc)\b",
    "food": r"\b(breakfast\w*|food|restaurant\w*|dinner|lunch|meals?|buffet|coffee|tea|bar|"
    r"drinks?|menu|room service|eggs?|bacon|sausages?|croissants?|minibar|dining)\b",
    "wifi": r"\b(wi\s?fi|wireless|internet|connection|signal)\b",
    "check_in": r"\b(check\s?ins?|checkin|check\s?outs?|checkout|arrival|queu\w*|not ready|"
    r"wait\w*|key\s?cards?|keys?|reservation\w*|booking)\b",
    "value": r"\b(prices?|pric(ed|ey)|expensive|overpriced|cheap\w*|value|money|costs?|costly|"
    r"pay|paid|charg\w*|bill\w*|fees?|refund\w*|deposit|worth)\b",
    "location": r"\b(location|located|area|neighbou?rhood|station|tube|dlr|metro|underground|"
    r"transport|walk\w*|distance|far|close to|nearby|centre|center|views?)\b",
    "parking": r"\b(parking|car park|garage)\b",
    "facilities": r"\b(pool|gym|spa|sauna|lifts?|elevators?|facilities)\b",
}

_RESOLVED = (
    r"\b(fixed|resolved|sorted|solved|apologi[sz]ed|compensat\w*|refunded|replaced|"
    r"moved us|upgraded us|made up for)\b"
)
_NOT_RESOLVED = (
    r"\b(not|never|nothing|nobody|no one|wasnt|werent|didnt|wasn|weren|didn)\b[\w\s]{0,20}"
    r"\b(fixed|resolved|sorted|solved|done|apologi[sz]ed|refunded|replaced)\b"
)


@dataclass(frozen=True)
class TextModel:
    """A fitted TF-IDF + ridge model as plain arrays (term, idf, coefficient), plus the weight
    of the lexicon's score (one more input: it carries what a small hotel cannot learn)."""

    terms: pl.DataFrame  # term, idf, coef
    intercept: float
    lexicon_weight: float  # coefficient of the lexicon score, the one dense input
    calibration: tuple[float, float]  # sentiment = a + b * raw, clipped to [-1, 1]
    trained_rows: int
    metrics: dict[str, float] = field(default_factory=dict)

    def details(self) -> dict[str, object]:
        return {
            "terms": self.terms.height,
            "trained_rows": self.trained_rows,
            **{key: round(value, 4) for key, value in self.metrics.items()},
        }


@dataclass(frozen=True)
class ScoredReviews:
    """Per review: sentiment, label, method, topics; per review x topic: the mention."""

    reviews: pl.DataFrame  # review_id, sentiment, sentiment_label, method, topics,
    #                        negative_topics, is_resolved
    mentions: pl.DataFrame  # review_id, topic, is_negative
    model: TextModel | None


def target_from_scores(nps: pl.Series, rating: pl.Series) -> pl.Series:
    """The label in [-1, 1]: NPS 0-10 -> (nps - 5) / 5, rating 1-5 -> (rating - 3) / 2, the
    mean of the two where both are given; null where neither is."""
    frame = pl.DataFrame({"nps": nps.cast(pl.Float64), "rating": rating.cast(pl.Float64)})
    return frame.select(
        pl.mean_horizontal((pl.col("nps") - 5) / 5, (pl.col("rating") - 3) / 2)
        .clip(-1.0, 1.0)
        .alias("target")
    ).to_series()


def sentiment_label(sentiment: pl.Expr) -> pl.Expr:
    """``negative`` / ``neutral`` / ``positive`` (null sentiment: null)."""
    return (
        pl.when(sentiment < NEGATIVE_BELOW)
        .then(pl.lit("negative"))
        .when(sentiment >= POSITIVE_FROM)
        .then(pl.lit("positive"))
        .when(sentiment.is_not_null())
        .then(pl.lit("neutral"))
    )


# ---- text -> clauses -> tokens -> terms ---------------------------------------------------


def clauses(texts: pl.DataFrame) -> pl.DataFrame:
    """(doc, text) -> (doc, clause, clause_text): lower-cased, apostrophes dropped."""
    return (
        texts.select(
            "doc",
            pl.col("text")
            .str.to_lowercase()
            .str.replace_all(_APOSTROPHES, "")
            .str.replace_all(_CLAUSE_BREAK, ".")
            .str.extract_all(_CLAUSE)
            .alias("clause_text"),
        )
        .explode("clause_text")
        .drop_nulls("clause_text")
        .filter(pl.col("clause_text").str.contains(r"\w"))
        .with_row_index("clause")
    )


def tokens(parts: pl.DataFrame) -> pl.DataFrame:
    """(doc, clause, clause_text) -> (doc, clause, segment, term) in text order: words of two
    or more characters; a segment ends at a comma or with the clause (negation stops there)."""
    found = (
        parts.select("doc", "clause", pl.col("clause_text").str.extract_all(TOKEN + "|,"))
        .explode("clause_text")
        .drop_nulls("clause_text")
        .rename({"clause_text": "term"})
    )
    starts = (pl.col("term") == ",") | (pl.col("clause") != pl.col("clause").shift(1))
    return found.with_columns(segment=starts.fill_null(True).cum_sum()).filter(
        pl.col("term") != ","
    )


def term_counts(words: pl.DataFrame) -> pl.DataFrame:
    """(doc, clause, term, tf) from :func:`tokens`: words and pairs of neighbouring words
    within a clause."""
    pairs = words.select(
        "doc",
        "clause",
        (pl.col("term") + " " + pl.col("term").shift(-1)).alias("term"),
        (pl.col("clause") == pl.col("clause").shift(-1)).alias("same"),
    ).filter(pl.col("same"))
    both = pl.concat([words.select("doc", "clause", "term"), pairs.drop("same")])
    return both.group_by("doc", "clause", "term").agg(pl.len().cast(pl.Float64).alias("tf"))


def _doc_counts(counts: pl.DataFrame) -> pl.DataFrame:
    return counts.group_by("doc", "term").agg(pl.col("tf").sum())


def _lexicon_sums(words: pl.DataFrame, key: str) -> pl.DataFrame:
    """(key, s): the lexicon's valences summed per ``key``, negated within three words of a
    negator in the same segment (x -0.7); :func:`_squashed` maps a sum into (-1, 1)."""
    lexicon = pl.DataFrame(
        {"term": list(LEXICON), "valence": list(LEXICON.values())},
        schema={"term": pl.Utf8, "valence": pl.Float64},
    )
    negator = pl.col("term").is_in(list(NEGATORS))
    flagged = words.select(key, "segment", "term", negator.alias("negator"))
    negated = pl.any_horizontal(
        *[
            (
                pl.col("negator").shift(k) & (pl.col("segment").shift(k) == pl.col("segment"))
            ).fill_null(False)
            for k in (1, 2, 3)
        ]
    )
    valued = flagged.with_columns(negated=negated).join(lexicon, on="term")
    return valued.group_by(key).agg(
        pl.when(pl.col("negated"))
        .then(-0.7 * pl.col("valence"))
        .otherwise(pl.col("valence"))
        .sum()
        .alias("s")
    )


def _squashed(sums: pl.DataFrame, key: str) -> pl.DataFrame:
    """(key, s) -> (key, raw): s / sqrt(s^2 + 1), in (-1, 1)."""
    return sums.select(key, (pl.col("s") / (pl.col("s") ** 2 + 1.0).sqrt()).alias("raw"))


def _raw_scores(
    counts: pl.DataFrame, lexicon: pl.DataFrame, model: TextModel, keys: pl.DataFrame
) -> pl.DataFrame:
    """(key, term, tf) and (key, raw lexicon score) -> (key, raw) for every key of ``keys``:
    intercept + coef . tfidf / |tfidf| over known terms + lexicon_weight * lexicon."""
    key = keys.columns[0]
    weighted = counts.join(model.terms, on="term").with_columns(
        w=(1.0 + pl.col("tf").log()) * pl.col("idf")
    )
    text = weighted.group_by(key).agg(
        ((pl.col("w") * pl.col("coef")).sum() / (pl.col("w") ** 2).sum().sqrt()).alias("text")
    )
    return (
        keys.join(text, on=key, how="left")
        .join(lexicon, on=key, how="left")
        .select(
            key,
            (
                model.intercept
                + pl.col("text").fill_null(0.0)
                + model.lexicon_weight * pl.col("raw").fill_null(0.0)
            ).alias("raw"),
        )
    )


def _calibrated(raw: pl.Expr, model: TextModel) -> pl.Expr:
    a, b = model.calibration
    return (a + b * raw).clip(-1.0, 1.0)


# ---- the learned model --------------------------------------------------------------------


def fit_text_model(
    texts: pl.Series,
    targets: np.ndarray,
    *,
    seed: int = 0,
    **options: float,
) -> TextModel:
    """Fit TF-IDF + ridge on ``texts`` (strings) and ``targets`` in [-1, 1]."""
    frame = pl.DataFrame(
        {"doc": np.arange(len(texts), dtype=np.int64), "text": texts.fill_null("")}
    )
    words = tokens(clauses(frame))
    return _fit(
        _doc_counts(term_counts(words)),
        _lexicon_sums(words, "doc").pipe(_squashed, "doc"),
        frame.select("doc"),
        np.asarray(targets, dtype=np.float64),
        seed=seed,
        **options,
    )


def _fit(
    counts: pl.DataFrame,
    lexicon: pl.DataFrame,
    docs: pl.DataFrame,
    y: np.ndarray,
    *,
    min_df: int = 2,
    max_terms: int = 200_000,
    alpha: float = 2.0,
    folds: int = 3,
    seed: int = 0,
) -> TextModel:
    """The ridge on doc term counts (doc, term, tf) and lexicon scores (doc, raw) of the
    documents ``docs`` (doc, in the order of ``y``)."""
    from scipy import sparse
    from sklearn.linear_model import Ridge

    n = docs.height
    rows = docs.with_row_index("row")
    counts = counts.join(rows, on="doc")
    vocabulary = (
        counts.group_by("term")
        .agg(pl.len().alias("df"))
        .filter(pl.col("df") >= min_df)
        .sort(["df", "term"], descending=[True, False])
        .head(max_terms)
        .with_row_index("column")
        .with_columns(idf=((1.0 + n) / (1.0 + pl.col("df"))).log() + 1.0)
    )
    weighted = counts.join(vocabulary, on="term").with_columns(
        w=(1.0 + pl.col("tf").log()) * pl.col("idf")
    )
    weighted = weighted.with_columns(w=pl.col("w") / (pl.col("w") ** 2).sum().sqrt().over("row"))
    lexicon_column = rows.join(lexicon, on="doc", how="left").sort("row")["raw"].fill_null(0.0)
    X = sparse.hstack(
        [
            sparse.csr_matrix(
                (
                    weighted["w"].to_numpy(),
                    (
                        weighted["row"].cast(pl.Int64).to_numpy(),
                        weighted["column"].cast(pl.Int64).to_numpy(),
                    ),
                ),
                shape=(n, vocabulary.height),
            ),
            sparse.csr_matrix(lexicon_column.to_numpy()[:, None]),
        ]
    ).tocsr()
    X.sort_indices()  # the same matrix, entry for entry, whatever order polars produced

    oof = np.empty(n)
    fold_of = np.random.default_rng(seed).permutation(n) % folds
    for k in range(folds):
        train, test = fold_of != k, fold_of == k
        oof[test] = Ridge(alpha=alpha).fit(X[train], y[train]).predict(X[test])
    slope, offset = np.polyfit(oof, y, 1) if np.std(oof) > 0 else (1.0, 0.0)
    final = Ridge(alpha=alpha).fit(X, y)
    oof_sentiment = np.clip(offset + slope * oof, -1.0, 1.0)
    coef = final.coef_.astype(np.float64)
    return TextModel(
        terms=vocabulary.select("term", "idf").with_columns(
            coef=pl.Series(coef[vocabulary["column"].to_numpy()])
        ),
        intercept=float(final.intercept_),
        lexicon_weight=float(coef[-1]),
        calibration=(float(offset), float(slope)),
        trained_rows=n,
        metrics={
            "oof_spearman": _spearman(oof_sentiment, y),
            "oof_mae": float(np.mean(np.abs(oof_sentiment - y))),
        },
    )


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra = pl.Series(a).rank("average").to_numpy()
    rb = pl.Series(b).rank("average").to_numpy()
    if np.std(ra) == 0 or np.std(rb) == 0:
        return float("nan")
    return float(np.corrcoef(ra, rb)[0, 1])


# ---- reviews ------------------------------------------------------------------------------


def score_reviews(
    reviews: pl.DataFrame,
    *,
    min_rated_texts: int = MIN_RATED_TEXTS,
    max_train_rows: int = 20_000,
    seed: int = 0,
) -> ScoredReviews:
    """Score ``reviews`` (review_id, review_text, nps, rating; one row per review).

    Trains on (a seeded sample of at most ``max_train_rows``) reviews with text and a score,
    then scores every distinct text once; reviews without text take their own score
    (``rating_only``).
    """
    frame = reviews.select(
        pl.col("review_id").cast(pl.Utf8),
        pl.col("review_text").cast(pl.Utf8).str.strip_chars().replace("", None).alias("text"),
        target_from_scores(reviews["nps"], reviews["rating"]),
    )
    # one document per distinct text: identical texts get identical scores and topics
    texts = frame.select("text").drop_nulls().unique(maintain_order=True).with_row_index("doc")
    frame = frame.join(texts, on="text", how="left", maintain_order="left")
    parts = clauses(texts)
    words = tokens(parts)
    counts = term_counts(words)
    clause_lexicon = _lexicon_sums(words, "clause")
    doc_lexicon = (
        clause_lexicon.join(parts.select("clause", "doc"), on="clause")
        .group_by("doc")
        .agg(pl.col("s").sum())
        .pipe(_squashed, "doc")
    )

    rated = frame.filter(pl.col("doc").is_not_null() & pl.col("target").is_not_null())
    model: TextModel | None = None
    if rated.height >= min_rated_texts and rated["target"].n_unique() > 1:
        sample = rated.sample(min(max_train_rows, rated.height), seed=seed, shuffle=True)
        sample_docs = sample.select("doc")
        sample_counts = _doc_counts(counts.join(sample_docs.unique(), on="doc", how="semi"))
        # a text written twice counts twice: the sample's rows, not its distinct texts
        model = _fit(
            sample_counts, doc_lexicon, sample_docs, sample["target"].to_numpy(), seed=seed
        )

    if model is not None:
        doc_raw = _raw_scores(_doc_counts(counts), doc_lexicon, model, texts.select("doc"))
        clause_raw = _raw_scores(
            counts.drop("doc"),
            clause_lexicon.pipe(_squashed, "clause"),
            model,
            parts.select("clause"),
        )
        doc_scores = doc_raw.select("doc", _calibrated(pl.col("raw"), model).alias("score"))
        # a clause's polarity is its pull on the score: what its words add to an empty text
        clause_scores = clause_raw.select(
            "clause", (pl.col("raw") - model.intercept).alias("clause_score")
        )
        text_method = "tfidf_ridge"
        neutral_text = _calibrated(pl.lit(model.intercept), model)
    else:
        doc_scores = doc_lexicon.rename({"raw": "score"})
        clause_scores = clause_lexicon.pipe(_squashed, "clause").rename({"raw": "clause_score"})
        text_method = "lexicon"
        neutral_text = pl.lit(0.0)

    mentions = _topic_mentions(parts, clause_scores)
    per_doc = mentions.group_by("doc").agg(
        pl.col("topic").sort().alias("topics"),
        pl.col("topic").filter(pl.col("is_negative")).sort().alias("negative_topics"),
    )
    resolved = texts.select(
        "doc",
        pl.col("text")
        .str.to_lowercase()
        .str.replace_all(_APOSTROPHES, "")
        .pipe(_is_resolved)
        .alias("is_resolved"),
    )
    empty = pl.lit([], dtype=pl.List(pl.Utf8))
    out = (
        frame.join(doc_scores, on="doc", how="left", maintain_order="left")
        .join(per_doc, on="doc", how="left", maintain_order="left")
        .join(resolved, on="doc", how="left", maintain_order="left")
        .with_columns(
            sentiment=pl.when(pl.col("text").is_not_null())
            .then(pl.col("score").fill_null(neutral_text))
            .otherwise(pl.col("target")),
            method=pl.when(pl.col("text").is_not_null())
            .then(pl.lit(text_method))
            .when(pl.col("target").is_not_null())
            .then(pl.lit("rating_only"))
            .otherwise(pl.lit("none")),
            topics=pl.col("topics").fill_null(empty),
            negative_topics=pl.col("negative_topics").fill_null(empty),
            is_resolved=pl.col("is_resolved").fill_null(False),
        )
        .with_columns(sentiment_label=sentiment_label(pl.col("sentiment")))
    )
    return ScoredReviews(
        reviews=out.select(
            "review_id",
            "sentiment",
            "sentiment_label",
            "method",
            "topics",
            "negative_topics",
            "is_resolved",
        ),
        mentions=mentions.join(frame.select("doc", "review_id").drop_nulls("doc"), on="doc")
        .sort("review_id", "topic")
        .select("review_id", "topic", "is_negative"),
        model=model,
    )


def _is_resolved(text: pl.Expr) -> pl.Expr:
    return text.str.contains(_RESOLVED) & ~text.str.contains(_NOT_RESOLVED)


def _topic_mentions(parts: pl.DataFrame, clause_scores: pl.DataFrame) -> pl.DataFrame:
    """(doc, topic, is_negative): one row per topic a document mentions; negative when a
    clause that mentions it pulls the score down (its pull is below CLAUSE_NEGATIVE_BELOW)."""
    scored = parts.join(clause_scores, on="clause", how="left").with_columns(
        pl.col("clause_score").fill_null(0.0)
    )
    found = [
        scored.filter(pl.col("clause_text").str.contains(pattern)).select(
            "doc", pl.lit(topic).alias("topic"), "clause_score"
        )
        for topic, pattern in TOPICS.items()
    ]
    return (
        pl.concat(found)
        .group_by("doc", "topic")
        .agg((pl.col("clause_score") < CLAUSE_NEGATIVE_BELOW).any().alias("is_negative"))
    )


def complaint_topics(requests: pl.DataFrame) -> pl.DataFrame:
    """(request_id, request_text) -> (request_id, topic, is_resolved): the topics a logged
    complaint is about; resolved when its text says the problem was fixed."""
    text = pl.col("request_text").str.to_lowercase().str.replace_all(_APOSTROPHES, "")
    frame = requests.select(
        pl.col("request_id").cast(pl.Utf8), text.alias("text"), _is_resolved(text).alias("ok")
    ).drop_nulls("text")
    found = [
        frame.filter(pl.col("text").str.contains(pattern)).select(
            "request_id", pl.lit(topic).alias("topic"), pl.col("ok").alias("is_resolved")
        )
        for topic, pattern in TOPICS.items()
    ]
    schema = {"request_id": pl.Utf8, "topic": pl.Utf8, "is_resolved": pl.Boolean}
    if not found:
        return pl.DataFrame(schema=schema)
    return pl.concat(found).sort("request_id", "topic")
