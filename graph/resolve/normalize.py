"""Names as the matcher compares them: transliterated, folded, tokenised.

Lists write one company many ways ("HUAWEI TECHNOLOGIES CO., LTD.",
"Huawei Technologies Company Limited", 华为技术有限公司). :func:`name_form`
turns each into the same :class:`NameForm`: ASCII, lower case, punctuation
gone, legal forms folded into one canonical token each and set aside, so that
only the words that identify the party remain (``core``). Word order is
ignored by the comparisons that use ``core`` as a set, and spaces by the
``compact`` form, which is what a transliteration of Chinese gives (no word
boundaries): 华为技术有限公司 → ``huaweijishu``.

>>> name_form("Huawei Technologies Co., Ltd.").core
('huawei', 'technology')
>>> name_form("HUAWEI TECHNOLOGIES COMPANY LIMITED").key == name_form("Huawei Technologies Co., Ltd.").key
True
>>> name_form("华为技术有限公司").compact, name_form("华为技术有限公司").legal
('huaweijishu', ('ltd',))
>>> name_form("Ooo Gazprom").legal, name_form("ООО Газпром").core
(('llc',), ('gazprom',))
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

# Legal forms, as lists spell them, each folded to one canonical token. Multi-word forms
# are matched on whole tokens, longest first. Chinese forms arrive as pinyin syllables.
LEGAL_FORMS: dict[str, str] = {
    "co ltd": "ltd",
    "company limited": "ltd",
    "co limited": "ltd",
    "limited company": "ltd",
    "limited liability company": "llc",
    "limited liability partnership": "llp",
    "public limited company": "plc",
    "private limited": "pvt",
    "pvt ltd": "pvt",
    "pte ltd": "pte",
    "pty ltd": "pty",
    "sdn bhd": "sdn",
    "joint stock company": "jsc",
    "open joint stock company": "jsc",
    "closed joint stock company": "jsc",
    "public joint stock company": "jsc",
    "aktsionernoe obshchestvo": "jsc",
    "otkrytoe aktsionernoe obshchestvo": "jsc",
    "zakrytoe aktsionernoe obshchestvo": "jsc",
    "publichnoe aktsionernoe obshchestvo": "jsc",
    "obshchestvo s ogranichennoi otvetstvennostyu": "llc",
    "obshchestvo s ogranichennoy otvetstvennostyu": "llc",
    "youxian gongsi": "ltd",
    "youxian zeren gongsi": "ltd",
    "gufen youxian gongsi": "ltd",
    "jituan youxian gongsi": "ltd",
    "s a": "sa",
    "s r l": "srl",
    "s p a": "spa",
    "b v": "bv",
    "n v": "nv",
    "l l c": "llc",
    "k k": "kk",
    # Japanese forms as patent and trade registers romanise them: Sharp Kabushiki Kaisha is Sharp Corporation.
    "kabushiki kaisha": "kk",
    "kabushiki gaisha": "kk",
    "kabushikigaisha": "kk",
    "kabushikikaisha": "kk",
    "co": "ltd",
    "ltd": "ltd",
    "limited": "ltd",
    "company": "ltd",
    "corp": "corp",
    "corporation": "corp",
    "incorporated": "inc",
    "inc": "inc",
    "llc": "llc",
    "llp": "llp",
    "plc": "plc",
    "pvt": "pvt",
    "pte": "pte",
    "pty": "pty",
    "gmbh": "gmbh",
    "ag": "ag",
    "kg": "kg",
    "sa": "sa",
    "sas": "sas",
    "sasu": "sas",
    "sarl": "sarl",
    "srl": "srl",
    "spa": "spa",
    "bv": "bv",
    "nv": "nv",
    "oy": "oy",
    "ab": "ab",
    "as": "as",
    "jsc": "jsc",
    "ojsc": "jsc",
    "cjsc": "jsc",
    "pjsc": "jsc",
    "oao": "jsc",
    "zao": "jsc",
    "pao": "jsc",
    "ao": "jsc",
    "ooo": "llc",
    "tov": "llc",
    "kk": "kk",
    "sdn": "sdn",
    "bhd": "sdn",
    "fze": "fze",
    "fzco": "fze",
    "fzc": "fze",
    "fzllc": "fze",
    "dmcc": "dmcc",
    "gongsi": "ltd",
    "youxiangongsi": "ltd",
}
_FORM_MAX = max(len(k.split()) for k in LEGAL_FORMS)
_LAST_WORDS = frozenset(k.split()[-1] for k in LEGAL_FORMS)
_FIRST_WORDS = frozenset(k.split()[0] for k, v in LEGAL_FORMS.items() if v in ("jsc", "llc"))
# Compact (space-free) legal-form endings, for transliterated scripts without word breaks.
_COMPACT_SUFFIXES = sorted(
    {"youxianzerengongsi", "gufenyouxiangongsi", "jituanyouxiangongsi", "youxiangongsi", "gongsi"},
    key=len,
    reverse=True,
)

# Words that say what kind of business a party is rather than which one it is: they count for
# little when two names are compared ("Huawei Technologies" vs "Huawei" differ by little).
GENERIC: frozenset[str] = frozenset(
    [
        "technology",
        "technologies",
        "tech",
        "group",
        "holding",
        "holdings",
        "international",
        "intl",
        "industry",
        "industries",
        "industrial",
        "trading",
        "trade",
        "electronics",
        "electronic",
        "information",
        "info",
        "systems",
        "system",
        "services",
        "service",
        "science",
        "sciences",
        "development",
        "enterprise",
        "enterprises",
        "engineering",
        "manufacturing",
        "mfg",
        "products",
        "global",
        "research",
        "institute",
        "the",
        "and",
        "of",
        "de",
        "la",
        "le",
        "du",
        "des",
        "del",
        "a",
        "an",
        "for",
        "jishu",
        "keji",
        "xinxi",
        "jituan",
        "gufen",
        "youxian",
        "zeren",
    ]
)
GENERIC_WEIGHT = 0.3
# Abbreviations lists use for whole words.
_WORD_FORMS = {
    "intl": "international",
    "mfg": "manufacturing",
    "tech": "technology",
    "technologies": "technology",
    "techn": "technology",
    "tecnologia": "technology",
    "technologie": "technology",
    "electronic": "electronics",
    "industries": "industry",
    "industrial": "industry",
    "holdings": "holding",
    "systems": "system",
    "services": "service",
    "sciences": "science",
    "enterprises": "enterprise",
    "hk": "hong kong",
    "hongkong": "hong kong",
    "&": "and",
}

# Generic words as pinyin (技术 jishu, 科技 keji, 信息 xinxi, 集团 jituan, 电子 dianzi, 产业 chanye, ...).
_PINYIN_GENERIC = ("jishu", "keji", "xinxi", "jituan", "gufen", "dianzi", "chanye", "kexue", "fazhan", "shiye")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SPLIT_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class NameForm:
    """One name, normalised; every derived form is computed once, by :func:`name_form`.

    ``core`` are the identifying words in their order; ``key`` the same words
    sorted (so word order does not matter); ``compact`` them run together (so
    spacing does not matter: "Bel Huawei" = "BelHuawei"); ``distinctive`` the
    core words that are not generic business words (all of them when every
    word is generic) and ``distinctive_compact`` those run together, with
    generic pinyin words cut off the end of a Chinese name.

    >>> name_form("华为技术有限公司").distinctive_compact, name_form("Huawei Technologies").distinctive_compact
    ('huawei', 'huawei')
    """

    original: str
    core: tuple[str, ...]
    legal: tuple[str, ...]  # canonical legal forms found (``ltd``, ``jsc``, ...)
    cjk: bool  # written in a script without spaces between words
    key: str
    compact: str
    distinctive: tuple[str, ...]
    distinctive_compact: str
    words: frozenset[str]
    weight: float  # the words' weights summed (generic words count GENERIC_WEIGHT)
    initials: str  # first letters of the core words ("smic"), for acronyms


def _distinctive_compact(core: tuple[str, ...], distinctive: tuple[str, ...], cjk: bool) -> str:
    if not cjk:
        return "".join(distinctive)
    text = "".join(core)
    cut = True
    while cut:
        cut = False
        for suffix in _PINYIN_GENERIC:
            if text.endswith(suffix) and len(text) - len(suffix) >= 4:
                text, cut = text[: -len(suffix)], True
                break
    return text


def transliterate(text: str) -> str:
    """ASCII of any script: Chinese as pinyin syllables, Cyrillic, Greek, accents stripped.

    >>> transliterate("华为 Coöperatief Газпром")
    'Hua Wei Cooperatief Gazprom'
    """
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        else:
            # One syllable per CJK character, separated, so the pinyin reads as words.
            t = anyascii(ch)
            out.append(f" {t} " if _CJK.match(ch) else t)
    return " ".join("".join(out).split())


def _fold_legal(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Take legal forms off the end (and the start: "OOO Gazprom"), longest first; one word always stays."""
    legal: list[str] = []
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        if tokens[-1] in _LAST_WORDS:
            for n in range(min(_FORM_MAX, len(tokens) - 1), 0, -1):
                tail = " ".join(tokens[-n:])
                if tail in LEGAL_FORMS:
                    legal.insert(0, LEGAL_FORMS[tail])
                    del tokens[-n:]
                    changed = True
                    break
        if not changed and tokens[0] in _FIRST_WORDS:
            for n in range(min(_FORM_MAX, len(tokens) - 1), 0, -1):
                head = " ".join(tokens[:n])
                if head in LEGAL_FORMS and LEGAL_FORMS[head] in ("jsc", "llc"):
                    legal.append(LEGAL_FORMS[head])
                    del tokens[:n]
                    changed = True
                    break
    return tokens, legal


@lru_cache(maxsize=1 << 18)
def name_form(name: str) -> NameForm:
    """The normalised form of one name (cached: lists repeat names a lot)."""
    cjk = bool(_CJK.search(name))
    text = transliterate(name)
    if cjk:
        text = "".join(_SPLIT_CAMEL.sub(" ", text))
    text = text.casefold().replace("&", " and ").replace("'", "")
    words: list[str] = []
    for w in re.split(r"[^a-z0-9]+", text):
        if w:
            words.extend(_WORD_FORMS.get(w, w).split())
    words, legal = _fold_legal(words)
    if cjk:
        # Pinyin syllables have no word breaks: run them together, then cut legal-form endings.
        joined = "".join(words)
        for suffix in _COMPACT_SUFFIXES:
            if joined.endswith(suffix) and len(joined) > len(suffix):
                joined = joined[: -len(suffix)]
                legal.append("ltd")
                break
        words = [joined] if joined else words
    core = tuple(words)
    distinctive = tuple(w for w in core if w not in GENERIC) or core
    return NameForm(
        name,
        core,
        tuple(legal),
        cjk,
        " ".join(sorted(core)),
        "".join(core),
        distinctive,
        _distinctive_compact(core, distinctive, cjk),
        frozenset(core),
        sum(GENERIC_WEIGHT if w in GENERIC else 1.0 for w in core),
        "".join(w[0] for w in core if w not in ("and", "of", "the")),
    )


def initials(form: NameForm) -> str:
    """The initials of a name's words, legal forms left out, to check acronyms ("SMIC")."""
    return form.initials
