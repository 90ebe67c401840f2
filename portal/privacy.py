"""Mask personal data in free-text feedback before it is stored.

The feedback form is anonymous, but citizens often paste contact details or their
Jobcenter reference numbers into the text. Every match is replaced by a German
placeholder the KRM officer understands. When in doubt we mask: storing less is the rule.
Harmless numbers (dates, times, amounts, paragraphs, room numbers) must survive,
so every detector carries guards against them.

Detectors run one after another on the progressively masked text. Placeholders contain
no digits and no ``@``, so later detectors never re-match them and masking is idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum import iban, numdb

KINDS = ("email", "phone", "iban", "bg_number", "customer_number", "address")

PLACEHOLDERS = {
    "email": "[E-Mail-Adresse entfernt]",
    "phone": "[Telefonnummer entfernt]",
    "iban": "[IBAN entfernt]",
    "bg_number": "[BG-Nummer entfernt]",
    "customer_number": "[Kundennummer entfernt]",
    "address": "[Adresse entfernt]",
}


@dataclass(frozen=True)
class MaskResult:
    """Masked text plus the kinds of personal data that were replaced."""

    text: str
    kinds: frozenset[str]

    @property
    def masked(self) -> bool:
        return bool(self.kinds)


Span = tuple[int, int]

# Words after a number that mark it as a quantity, never as a house number.
_UNIT = (
    r"(?:%|€|(?i:euro|eur|uhr|min|minuten|std|stunden|tage?n?|wochen?|monate?n?|jahre?n?|mal"
    r"|prozent|personen|leute|kinder|km|kilometer|meter|sterne|seiten|briefe|anrufe)(?!\w))"
)

# --- e-mail -------------------------------------------------------------------------------

# The lookbehind anchors candidates at the start of a run, which keeps the scan linear.
_EMAIL_RE = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_AT = r"\s*[(\[{<]\s*(?:at|ät|@)\s*[)\]}>]\s*"
_DOT = r"\s*[(\[{<]\s*(?:dot|punkt)\s*[)\]}>]\s*"
# ``max.muster (at) web.de`` / ``max[at]gmx[dot]de``; only bracketed forms, because a bare
# "at" is an ordinary English word.
_OBFUSCATED_EMAIL_RE = re.compile(
    rf"(?<![\w.+'-])([\w.+'-]+){_AT}([\w-]+(?:(?:\.|{_DOT})[\w-]+)+)", re.IGNORECASE
)
_DOT_RE = re.compile(_DOT, re.IGNORECASE)


def _is_email(candidate: str) -> bool:
    try:
        validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _find_emails(text: str) -> Iterator[Span]:
    for m in _EMAIL_RE.finditer(text):
        # A sentence like "...max@web.de" would otherwise start the address with dots.
        start = m.end() - len(m.group().lstrip("."))
        if _is_email(text[start : m.end()]):
            yield start, m.end()


def _find_obfuscated_emails(text: str) -> Iterator[Span]:
    for m in _OBFUSCATED_EMAIL_RE.finditer(text):
        local = m.group(1).lstrip(".")
        if _is_email(f"{local}@{_DOT_RE.sub('.', m.group(2))}"):
            yield m.end(1) - len(local), m.end()


# --- IBAN ---------------------------------------------------------------------------------

_IBAN_START_RE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{2}) ?([0-9]{2})(?=[ -]?[A-Za-z0-9])")
_IBAN_DB = numdb.get("iban")
_BBAN_PART_RE = re.compile(r"(\d+)!([nac])")
_BBAN_CLASSES = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}


@lru_cache(maxsize=128)
def _bban_shape(country: str) -> tuple[int, re.Pattern[str]] | None:
    """Length and structure of the BBAN for a country, from stdnum's IBAN registry."""
    structure = _IBAN_DB.info(country)[0][1].get("bban")
    if not structure:
        return None
    parts = _BBAN_PART_RE.findall(structure)
    pattern = "".join(f"{_BBAN_CLASSES[kind]}{{{n}}}" for n, kind in parts)
    return sum(int(n) for n, _ in parts), re.compile(pattern)


def _find_ibans(text: str) -> Iterator[Span]:
    pos = 0
    while m := _IBAN_START_RE.search(text, pos):
        pos = m.start() + 1
        country = m.group(1).upper()
        shape = _bban_shape(country)
        if shape is None:
            continue
        length, structure = shape
        # Walk exactly as many characters as the country's BBAN needs, allowing single
        # separators. Greedy regexes would swallow following words or amounts instead.
        bban: list[str] = []
        i = m.end()
        while len(bban) < length and i < len(text):
            char = text[i]
            if char.isascii() and char.isalnum():
                bban.append(char.upper())
            elif not (char in " -" and text[i - 1].isalnum() and text[i + 1 : i + 2].isalnum()):
                break
            i += 1
        if len(bban) < length or (i < len(text) and text[i].isalnum()):
            continue
        compact = country + m.group(2) + "".join(bban)
        # Right shape but failing checksum is most likely a typo in a real IBAN: mask it too.
        if iban.is_valid(compact) or structure.fullmatch(compact[4:]):
            yield m.start(), i
            pos = i


# A German IBAN with a digit or two missing or doubled is still somebody's account.
_DE_IBAN_TYPO_RE = re.compile(r"(?<![A-Za-z0-9])[Dd][Ee] ?[0-9]{2}(?:[ -]?[0-9]){16,20}(?![0-9])")


# --- Jobcenter reference numbers ----------------------------------------------------------

_BG_NUMBER_RE = re.compile(r"(?<!\w)\d{5}[ -]?BG[ -]?\d{7}(?!\d)", re.IGNORECASE)
_CUSTOMER_NUMBER_RE = re.compile(r"(?<!\w)\d{3} ?[A-Za-z] ?\d{6}(?!\d)")
# A plain number right after a keyword. "Az" is case-sensitive: "az" is a Turkish word.
_CUSTOMER_KEYWORD_RE = re.compile(
    r"(?<!\w)(?:(?i:kunden-?\s?(?:nummer|nr\.?)|kd\.?\s?-?\s?nr\.?|aktenzeichen)|A[zZ]\b\.?)"
    r"\s*[:#]?\s*(?:(?:lautet|ist)\s*:?\s*)?"
    # Optional register letters ("W 1234/25"); spaces inside the number only before a 3-digit
    # group, so a count after the number stays.
    r"((?:[A-Z]{1,3}[ -]?)?\d+(?:(?:[./-]|\s(?=\d{3}))\d+)*)(?!\d)"
)


def _find_pattern(pattern: re.Pattern[str]) -> Callable[[str], Iterator[Span]]:
    def find(text: str) -> Iterator[Span]:
        return (m.span() for m in pattern.finditer(text))

    return find


def _find_keyword_customer_numbers(text: str) -> Iterator[Span]:
    for m in _CUSTOMER_KEYWORD_RE.finditer(text):
        if sum(c.isdigit() for c in m.group(1)) >= 4:
            yield m.span(1)


# --- postal address -----------------------------------------------------------------------

_STREET_WORDS = (
    r"stra(?:ß|ss)e|str\.|weg|gasse|allee|platz|ring|damm|ufer|chaussee|steig|pfad|markt"
    r"|graben|wall|promenade|kamp|anger|stieg|kai|deich"
)
# Nouns that follow "Am", "Im", "An der" ... in street names ("Am Markt", "Im Wiesengrund").
_PLACE_WORDS = (
    _STREET_WORDS + r"|bahnhof|hang|rain|berg|bach|feld|garten|hof|park|wald|weiher|see"
    r"|brunnen|kreuz|stein|acker|busch|hain|holz|weide|wiese|eck|turm|kirche|schloss|rathaus"
    r"|mühle|teich|tor|stift|kloster|hafen|bruch|mauer|born|sand|heide|grund"
)
# Everyday compounds that end like a street name ("Arbeitsplatz 3 Tage", "Umweg").
_NOT_STREET = (
    r"(?!(?:Arbeits|Ausbildungs|Studien|Kita|Krippen|Betreuungs|Praktikums|Park|Sitz|Steh"
    r"|Stell|Super|Floh|Wochen|Um|Rück|Heim|Post|Rechts|Dienst|Lösungs|Bildungs|Lebens)"
    r"(?:platz|markt|weg)\b)"
)
_CAP = r"[A-ZÄÖÜ][a-zäöüß]"
_STREET = (
    r"(?:"
    # Case-insensitive suffix for "Karl-Marx-Straße"; lower-case streets only with "straße".
    rf"{_NOT_STREET}[A-ZÄÖÜ][\w-]*?(?i:{_STREET_WORDS})"
    r"|[^\W\d_][\w-]*?(?:stra(?:ß|ss)e|str\.)"
    rf"|(?:{_CAP}{{2,}}er|Alte|Neue|Lange|Hohe|Breite|Kurze|Obere|Untere|Große|Kleine)[ -]"
    r"(?:Stra(?:ß|ss)e|Str\.|Weg|Allee|Platz|Ring|Gasse|Damm|Ufer|Chaussee|Markt|Steig|Pfad"
    r"|Graben|Wall|Kamp|Anger)"
    r"|(?:Am|Im|An der|An den|Auf dem|Auf der|In der|In den|Zum|Zur|Unter den|Vor dem"
    rf"|Hinter dem|Hinter der|Beim)\s(?:{_CAP}+\s)?(?=[A-ZÄÖÜ])[\w-]*?(?i:{_PLACE_WORDS})"
    # Turkish street names ("Atatürk Caddesi 5") turn up in feedback from Turkish speakers.
    r"|[A-ZÄÖÜÇŞİ]\w+\s(?:Caddesi|Cad\.|Sokak|Sokağı|Sok\.|Bulvarı)"
    r")"
)
# Atomic group: backtracking into "12" to try "1" would defeat the unit guard.
_HOUSE_NUMBER = (
    r"(?>\d{1,3}(?!\d)(?: ?[a-zA-Z](?!\w))?(?: ?[-–/] ?\d{1,3}(?!\d)(?: ?[a-zA-Z](?!\w))?)?)"
    rf"(?![.,:]\d)(?!\s?{_UNIT})"
)
# A 5-digit number followed by one of these is a quantity ("12345 Euro", "20000 Anträge").
_NOT_TOWN = (
    r"(?!(?:Euro|Dollar|Franken|Pfund|Lira|Kunden|Kundinnen|Menschen|Personen|Leute|Bürger"
    r"|Einwohner\w*|Arbeitslose\w*|Haushalte|Anträge|Fälle|Anrufe|Briefe|Mails|Seiten|Zeichen"
    r"|Stunden|Minuten|Sekunden|Tage|Wochen|Monate|Jahre|Kilometer|Meter|Schritte|Punkte"
    r"|Stück|Mal|Exemplare|Stellen|Jobs|Mitarbeiter\w*|Beschäftigte|Leistungsberechtigte"
    r"|Bedarfsgemeinschaften)(?!\w))"
    r"(?![A-ZÄÖÜ]\w*(?:ungen|ionen|heiten|keiten|schaften|nisse)(?!\w))"
)
_TOWN = (
    rf"{_NOT_TOWN}(?:(?:Bad|Sankt|St\.|Neu|Alt|Groß|Klein|Hansestadt|Lutherstadt|Ostseebad)\s)?"
    rf"{_CAP}+(?:-[A-ZÄÖÜ]?[a-zäöüß]+)*"
    rf"(?:\s(?:am|an der|im|in der|ob der|vor der|bei|auf der)\s{_CAP}+)?"
    rf"(?:\s?\({_CAP}+\))?"
)
_POSTCODE_TOWN = rf"(?:DE?[-–]\s?)?\d{{5}}(?![\d.,])\s+{_TOWN}"
_ADDRESS_RE = re.compile(
    rf"(?<![\w-])(?:{_STREET}\s?{_HOUSE_NUMBER}|Postfach\s?\d+(?: \d+)*)(?:,?\s+{_POSTCODE_TOWN})?"
    # A lone postcode not after "digits + separator": "0261 12345 Danke" is a phone number.
    rf"|(?<![\w.,/+-])(?<!\d[ /-]){_POSTCODE_TOWN}"
)

# --- phone --------------------------------------------------------------------------------

# Dates, times and amounts are hidden from the phone matcher (same length, so offsets
# stay valid), because it happily glues "12.03.2026 0261 123456" into one invalid candidate
# or extends a real number by the "12" of a following date.
_HARMLESS_NUMBER_RE = re.compile(
    r"(?<![\d.])(?:"
    r"(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|1[0-2])\.(?:\d{4}|\d{2})?(?!\d)"
    r"|\d{4}-\d{2}-\d{2}(?!\d)"
    r"|\d{1,2}/\d{1,2}/\d{2,4}(?!\d)"
    r"|\d{1,2}(?:[:.]\d{2})?\s?[-–]\s?\d{1,2}(?:[:.]\d{2})?\s?Uhr"
    r"|\d{1,2}[:.]\d{2}\s?Uhr|\d{1,2}:\d{2}(?!\d)"
    r"|[1-9]\d{0,2}(?:\.\d{3})+(?:,\d{1,2})?(?!\d)"
    r"|\d+(?:,\d+)?\s?(?:€|%|(?i:euro|eur|prozent)\b)"
    r")"
    r"|(?:€|EUR)\s?\d+(?:[.,]\d+)*"
)
_PHONE_KEYWORD_RE = re.compile(
    r"(?<!\w)(?i:(?:tel(?:efon)?|handy|mobil(?:telefon)?|rufnummer|fax|festnetz|whatsapp)"
    r"\.?(?:-?\s?(?:nummer|nr\.?))?\s*:?\s*(?:(?:ist|lautet|unter)\s*:?\s*)?)$"
)
# Only money and percent: "erreichbar unter 0151 12345678 Tag und Nacht" must still be masked.
_AMOUNT_AFTER_RE = re.compile(r"\s?(?:%|€|(?i:euro|eur|prozent)(?!\w))")
_DIGIT_RUN_RE = re.compile(r"\d+")


def _is_dialable(raw: str, *, lenient: bool = False) -> bool:
    """A valid number written with a trunk or international prefix.

    Without a leading 0 or +, phonenumbers would read "2030405060" as a Duisburg number;
    real numbers in free text always carry a prefix (keyword-led local numbers aside).
    ``lenient`` also accepts a merely possible number of 8+ digits, e.g. a mobile number
    with a digit missing: it is still personal data.
    """
    digits = phonenumbers.normalize_digits_only(raw)
    if not digits or not (raw.lstrip("(").startswith("+") or digits.startswith("0")):
        return False
    try:
        number = phonenumbers.parse(raw, "DE")
    except phonenumbers.NumberParseException:
        return False
    if phonenumbers.is_valid_number(number):
        return True
    return lenient and len(digits) >= 8 and phonenumbers.is_possible_number(number)


def _valid_sub_spans(raw: str, offset: int) -> Iterator[Span]:
    """Longest valid numbers inside an invalid candidate such as "2019 0151 1234567"."""
    runs = [m.span() for m in _DIGIT_RUN_RE.finditer(raw)]
    i = 0
    while i < len(runs):
        start = runs[i][0] - 1 if runs[i][0] and raw[runs[i][0] - 1] == "+" else runs[i][0]
        for j in range(len(runs) - 1, i - 1, -1):
            if _is_dialable(raw[start : runs[j][1]], lenient=True):
                yield offset + start, offset + runs[j][1]
                i = j
                break
        i += 1


def _find_phones(text: str) -> Iterator[Span]:
    shadow = _HARMLESS_NUMBER_RE.sub(lambda m: "_" * len(m.group()), text)
    leniency = phonenumbers.Leniency.POSSIBLE
    for m in phonenumbers.PhoneNumberMatcher(shadow, "DE", leniency=leniency):
        # Letters inside mean an extension marker was read into "0x80070005" or similar.
        if any(c.isalpha() for c in m.raw_string) or _AMOUNT_AFTER_RE.match(text, m.end):
            continue
        if _is_dialable(m.raw_string, lenient=True):
            yield m.start, m.end
        elif _PHONE_KEYWORD_RE.search(text, max(0, m.start - 40), m.start):
            # "Tel. 12 34 56": a local number without area code, announced as such.
            if len(phonenumbers.normalize_digits_only(m.raw_string)) >= 5:
                yield m.start, m.end
        else:
            yield from _valid_sub_spans(m.raw_string, m.start)


# --- driver -------------------------------------------------------------------------------

# Order matters: the more specific patterns go first so their digits are gone before the
# phone matcher sees them, and addresses precede phones so a postcode never leaves the
# town name behind.
_DETECTORS: tuple[tuple[str, Callable[[str], Iterator[Span]]], ...] = (
    ("email", _find_emails),
    ("email", _find_obfuscated_emails),
    ("iban", _find_ibans),
    ("iban", _find_pattern(_DE_IBAN_TYPO_RE)),
    ("bg_number", _find_pattern(_BG_NUMBER_RE)),
    ("customer_number", _find_pattern(_CUSTOMER_NUMBER_RE)),
    ("customer_number", _find_keyword_customer_numbers),
    ("address", _find_pattern(_ADDRESS_RE)),
    ("phone", _find_phones),
)


def _replace(text: str, spans: list[Span], placeholder: str) -> str:
    parts: list[str] = []
    last = 0
    for start, end in sorted(spans):
        if start < last:
            continue
        parts += [text[last:start], placeholder]
        last = end
    parts.append(text[last:])
    return "".join(parts)


def mask_personal_data(text: str) -> MaskResult:
    """Replace personal data in ``text`` by placeholders; harmless numbers stay untouched."""
    kinds: set[str] = set()
    for kind, find in _DETECTORS:
        if spans := list(find(text)):
            text = _replace(text, spans, PLACEHOLDERS[kind])
            kinds.add(kind)
    return MaskResult(text, frozenset(kinds))
