"""A small English valence lexicon for guest reviews: the fallback when a hotel has no rated
reviews to learn from.

Written for this project (Apache-2.0, like the rest of the repository): about 230 words that
carry praise or blame in hotel reviews, each with a valence in [-1, 1]. Multi-word cues are
caught by their words ("not clean" is ``clean`` under a negation). Extend it in place.
"""

from __future__ import annotations

_POSITIVE: dict[float, str] = {
    1.0: "excellent outstanding superb perfect amazing fantastic wonderful exceptional "
    "brilliant awesome impeccable flawless spotless",
    0.8: "great lovely delightful gorgeous beautiful love loved loves stunning terrific "
    "immaculate best marvellous marvelous fabulous",
    0.6: "good nice friendly helpful comfortable comfy clean welcoming pleasant recommend "
    "recommended enjoyed enjoy happy polite attentive courteous tasty delicious cosy cozy "
    "spacious quiet peaceful relaxing convenient modern fresh efficient professional "
    "accommodating kind warm generous thank thanks glad pleased caring smiling",
    0.3: "fine decent ok okay adequate reasonable fair easy quick fast handy close central "
    "value affordable cheap bright stylish well worth",
}
_NEGATIVE: dict[float, str] = {
    -1.0: "terrible horrible awful disgusting filthy worst appalling dreadful horrendous "
    "unacceptable nightmare vile revolting",
    -0.8: "dirty rude bad poor broken smelly stinking stained mouldy moldy cockroach "
    "cockroaches bugs bedbugs mice rats disgusted shocking useless hate hated ruined "
    "unhelpful unfriendly incompetent disappointing disappointed disappointment",
    -0.6: "noisy loud noise uncomfortable unpleasant cold slow stuck leaking leak leaky "
    "overpriced expensive smell smelled smells damp dusty dust hair hairs stain stains worn "
    "tired dated shabby cramped tiny complain complained complaint problem problems issue "
    "issues failed fault faulty refused ignored waited waiting queue missing lost error "
    "wrong mistake charged overcharged scam annoying annoyed frustrating frustrated "
    "angry upset sadly unfortunately",
    -0.3: "small old basic average lacking lack limited far busy hot thin "
    "confusing crowded pricey mediocre bland lukewarm",
}

#: Words that flip the valence of the next few words ("not clean", "never again").
NEGATORS: frozenset[str] = frozenset(
    "not no never nothing nobody none neither nor cannot cant didnt doesnt dont isnt wasnt "
    "werent wont wouldnt couldnt shouldnt hardly barely without didn doesn don isn wasn "
    "weren aren couldn wouldn hasn haven".split()
)


def _table(groups: dict[float, str]) -> dict[str, float]:
    return {word: value for value, words in groups.items() for word in words.split()}


#: word -> valence in [-1, 1]
LEXICON: dict[str, float] = {**_table(_POSITIVE), **_table(_NEGATIVE)}
