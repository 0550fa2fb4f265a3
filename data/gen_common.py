"""Shared pieces of Ronda's corpus generators: obfuscations, phone formats, small pools.

Obfuscation *techniques* are shared by the training and held-out generators (both must cover
every technique in docs/domain.md); the *templates and phrasings* live in each generator and
differ. Everything is driven by a random.Random passed in, so output is deterministic.
No content here involves minors; ages used in adult ads are 21 or older.
"""

import random

ZW = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
CYR = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "p": "\u0440", "c": "\u0441", "x": "\u0445",
       "y": "\u0443", "i": "\u0456", "s": "\u0455", "k": "\u043a", "m": "\u043c", "t": "\u0442"}
GRK = {"a": "\u03b1", "o": "\u03bf", "e": "\u03b5", "i": "\u03b9", "n": "\u03b7", "p": "\u03c1",
       "t": "\u03c4", "u": "\u03c5", "v": "\u03bd", "k": "\u03ba"}
LEET = {"o": "0", "e": "3", "a": "4", "i": "1", "s": "5", "t": "7", "b": "8", "g": "9"}
SMALL_CAPS = dict(zip("abcdefghijklmnopqrstuvwyz", "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘǫʀꜱᴛᴜᴠᴡʏᴢ"))
# Mathematical alphabets: bold, italic, bold italic, script bold, fraktur, double-struck,
# sans bold, monospace (lower-case a starts at these code points).
MATH_LOWER = [0x1D41A, 0x1D44E, 0x1D482, 0x1D4EA, 0x1D586, 0x1D552, 0x1D5EE, 0x1D68A]
MATH_UPPER = [0x1D400, 0x1D434, 0x1D468, 0x1D4D0, 0x1D56C, 0x1D538, 0x1D5D4, 0x1D670]
MATH_DIGIT = [0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6]
EMOJI = ["🔥", "💋", "😘", "🥰", "💦", "🍑", "😍", "✨", "💯", "❤️", "👇", "📲", "☎️", "✅", "🌹", "😉"]


def fullwidth(s):
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in s)


def math_alpha(s, rng):
    k = rng.randrange(len(MATH_LOWER))
    out = []
    for c in s:
        if "a" <= c <= "z":
            cp = MATH_LOWER[k] + ord(c) - 97
            # holes in the Unicode block (e.g. italic h) fall back to the plain letter
            out.append(c if cp in (0x1D455, 0x1D4BA, 0x1D4BC, 0x1D4C1, 0x1D4C4) else chr(cp))
        elif "A" <= c <= "Z":
            cp = MATH_UPPER[k] + ord(c) - 65
            out.append(chr(cp) if k not in (4, 5) else c)  # fraktur/double-struck capitals have holes
        elif "0" <= c <= "9":
            out.append(chr(MATH_DIGIT[rng.randrange(len(MATH_DIGIT))] + ord(c) - 48))
        else:
            out.append(c)
    return "".join(out)


def circled(s):
    out = []
    for c in s:
        if "a" <= c <= "z":
            out.append(chr(0x24D0 + ord(c) - 97))
        elif "A" <= c <= "Z":
            out.append(chr(0x24B6 + ord(c) - 65))
        else:
            out.append(c)
    return "".join(out)


def leet(s, rng):
    return "".join(LEET[c] if c in LEET and rng.random() < 0.6 else c for c in s)


def spaced(s, rng):
    sep = rng.choice([" ", ".", "-", "_", " . ", "*"])
    return sep.join(s.replace(" ", ""))


def stretched(s, rng):
    vowels = [i for i, c in enumerate(s) if c in "aeiou"]
    if not vowels:
        return s
    i = rng.choice(vowels)
    return s[:i] + s[i] * rng.randint(3, 6) + s[i + 1:]


def zero_width(s, rng):
    return "".join(c + (rng.choice(ZW) if rng.random() < 0.5 else "") for c in s)


def lookalike(s, rng):
    table = rng.choice([CYR, GRK])
    return "".join(table[c] if c in table and rng.random() < 0.7 else c for c in s)


def smallcaps(s):
    return "".join(SMALL_CAPS.get(c, c) for c in s)


def upper_mix(s, rng):
    return "".join(c.upper() if rng.random() < 0.5 else c for c in s)


OBFUSCATIONS = ["leet", "spaced", "stretched", "zero_width", "lookalike", "fullwidth", "math",
                "circled", "smallcaps", "upper", "upper_all"]


def obfuscate(s, rng, kind=None):
    kind = kind or rng.choice(OBFUSCATIONS)
    if kind == "leet":
        return leet(s, rng)
    if kind == "spaced":
        return spaced(s, rng)
    if kind == "stretched":
        return stretched(s, rng)
    if kind == "zero_width":
        return zero_width(s, rng)
    if kind == "lookalike":
        return lookalike(s, rng)
    if kind == "fullwidth":
        return fullwidth(s)
    if kind == "math":
        return math_alpha(s, rng)
    if kind == "circled":
        return circled(s)
    if kind == "smallcaps":
        return smallcaps(s)
    if kind == "upper":
        return upper_mix(s, rng)
    return s.upper()


# Marks that comment spam stacks on each letter of a brand (combining diacritics, U+0300–U+036F).
COMBINING = ["\u0353\u033d", "\u0336", "\u0332", "\u0335", "\u0338", "\u0301\u0301", "\u035c"]


def combining(s, rng):
    """Every letter with the same stack of combining marks: P͓̽A͓̽N͓̽T͓̽A͓̽I͓̽ (not in OBFUSCATIONS, so the
    older generators' draws stay as they were)."""
    mark = rng.choice(COMBINING)
    return "".join(c + mark if c.strip() else c for c in s)


def dotted(s, rng):
    """Letters of a word separated by dots or spaces inside an ordinary sentence: T.E.M.E.N.I.N."""
    return rng.choice([".", " ", ". ", "-"]).join(s.replace(" ", ""))


def disguise(s, rng):
    """One of the disguises comment spam uses on a brand or a key word."""
    k = rng.randrange(7)
    if k == 0:
        return math_alpha(s.upper() if rng.random() < 0.7 else s, rng)
    if k == 1:
        return fullwidth(s.upper())
    if k == 2:
        return combining(s.upper(), rng)
    if k == 3:
        return dotted(s.upper(), rng)
    if k == 4:
        return circled(s)
    if k == 5:
        return s.upper()
    return s


def maybe_obfuscate_terms(text, terms, rng, p=0.5):
    """Obfuscates each occurrence of the given key terms with probability p."""
    for t in terms:
        if t in text and rng.random() < p:
            text = text.replace(t, obfuscate(t, rng), 1)
    return text


def sprinkle_emoji(text, rng, p=0.3):
    words = text.split(" ")
    return " ".join(w + (" " + rng.choice(EMOJI) if rng.random() < p else "") for w in words)


# ---------------------------------------------------------------- phones

PREFIXES = ["811", "812", "813", "821", "822", "823", "851", "852", "853", "814", "815", "816",
            "855", "856", "857", "858", "817", "818", "819", "859", "877", "878", "831", "832",
            "833", "838", "895", "896", "897", "898", "899", "881", "882", "883", "884", "885",
            "886", "887", "888", "889"]

WORDS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]
KEYCAP = "\ufe0f\u20e3"


def random_phone(rng):
    """National significant number (without 0 or 62): 8xx + 6..9 digits."""
    rest = "".join(str(rng.randrange(10)) for _ in range(rng.choice([7, 8, 8, 9, 9])))
    return rng.choice(PREFIXES) + rest


def groups(d, rng):
    sizes = rng.choice([(4, 4), (3, 4), (4, 3), (3, 3)])
    out, i = [], 0
    for s in sizes:
        out.append(d[i:i + s])
        i += s
    if i < len(d):
        out.append(d[i:])
    return [g for g in out if g]


def format_phone(nsn, rng, style=None):
    """Writes a national significant number in one of the field's forms."""
    style = style or rng.choice(["plain0", "dash", "space", "dot", "plus", "bare62", "paren", "wame",
                                 "apiwa", "letters", "fullwidth", "math", "keycap", "spaced",
                                 "words", "mixed_words", "plus_space", "zw"])
    d0 = "0" + nsn
    if style == "plain0":
        return d0
    if style == "dash":
        return "-".join(groups(d0, rng))
    if style == "space":
        return " ".join(groups(d0, rng))
    if style == "dot":
        return ".".join(groups(d0, rng))
    if style == "plus":
        return "+62" + nsn
    if style == "plus_space":
        return "+62 " + "-".join(groups(nsn, rng))
    if style == "bare62":
        return "62" + nsn
    if style == "paren":
        g = groups(d0, rng)
        return "(" + g[0] + ") " + " ".join(g[1:])
    if style == "wame":
        return rng.choice(["wa.me/62", "https://wa.me/62", "http://wa.me/62"]) + nsn
    if style == "apiwa":
        return "https://api.whatsapp.com/send?phone=62" + nsn
    if style == "letters":
        s = "".join("O" if c == "0" and rng.random() < 0.7 else ("l" if c == "1" and rng.random() < 0.7 else c) for c in d0)
        return "-".join(groups(s, rng)) if rng.random() < 0.5 else s
    if style == "fullwidth":
        return fullwidth(d0)
    if style == "math":
        k = rng.randrange(len(MATH_DIGIT))
        return "".join(chr(MATH_DIGIT[k] + ord(c) - 48) for c in d0)
    if style == "keycap":
        return "".join(c + KEYCAP for c in d0)
    if style == "spaced":
        return " ".join(d0)
    if style == "words":
        return " ".join(WORDS[int(c)] if not (c == "0" and rng.random() < 0.3) else "kosong" for c in d0)
    if style == "mixed_words":
        return " ".join(WORDS[int(c)] for c in d0[:4]) + " " + " ".join(groups(d0[4:], rng))
    if style == "zw":
        return "\u200b".join(groups(d0, rng))
    return d0


def e164(nsn):
    return "+62" + nsn
