"""Mask personal data in free-text feedback before it is stored.

The feedback form is anonymous, but citizens often paste contact details or their
Jobcenter reference numbers into the text. Every match is replaced by a German
placeholder the KRM officer understands. When in doubt we mask: storing less is the rule.
Harmless numbers (dates, times, amounts, paragraphs, room numbers) must survive,
so every detector carries guards against them.

Detectors run one after another on the progressively masked text. Placeholders contain
no digits and no ``@``, so later detectors never re-match them and masking is idempotent.

Numbers with a checksum (IBAN, Steuer-ID, Rentenversicherungsnummer) are validated with
python-stdnum or the documented algorithm; everything else that needs context (a date is a birth
date only after "geboren", a word is a name only after "Mein Name ist" or in a sign-off, an
alphanumeric token is an ID card number only after "Personalausweis") is found by its context,
never by a dictionary of first names that would also strip the names of staff. Every detector
starts with a cheap pre-check, so a 2,000-character text takes well under a millisecond
(``bench/privacy.py``). ``docs/privacy.md`` lists every kind with its rule.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum import iban, numdb
from stdnum.de import idnr

KINDS = (
    "email",
    "phone",
    "iban",
    "bg_number",
    "customer_number",
    "address",
    "birth_date",
    "tax_id",
    "insurance_number",
    "id_document",
    "name",
)

PLACEHOLDERS = {
    "email": "[E-Mail-Adresse entfernt]",
    "phone": "[Telefonnummer entfernt]",
    "iban": "[IBAN entfernt]",
    "bg_number": "[BG-Nummer entfernt]",
    "customer_number": "[Kundennummer entfernt]",
    "address": "[Adresse entfernt]",
    "birth_date": "[Geburtsdatum entfernt]",
    "tax_id": "[Steuer-ID entfernt]",
    "insurance_number": "[Versicherungsnummer entfernt]",
    "id_document": "[Ausweisnummer entfernt]",
    "name": "[Name entfernt]",
}
# What the officer reads in a warning: the placeholder's words ("Telefonnummer", "Geburtsdatum").
LABELS = {kind: placeholder[1 : -len(" entfernt]")] for kind, placeholder in PLACEHOLDERS.items()}


@dataclass(frozen=True)
class MaskResult:
    """Masked text plus the kinds of personal data that were replaced."""

    text: str
    kinds: frozenset[str]

    @property
    def masked(self) -> bool:
        return bool(self.kinds)


Span = tuple[int, int]
_DIGIT_RUN_RE = re.compile(r"\d+")


def _hint_spans(text: str, hints: tuple[str, ...] | re.Pattern[str]) -> list[Span] | None:
    """Where the hints occur: lower-case words found by ``str.find``, or a simple pattern."""
    if isinstance(hints, re.Pattern):
        return [m.span() for m in hints.finditer(text)]
    lower = text.lower()
    if len(lower) != len(text):  # "İ" lowers to two characters: offsets would not agree
        return None
    spans = []
    for hint in hints:
        at = lower.find(hint)
        while at != -1:
            spans.append((at, at + len(hint)))
            at = lower.find(hint, at + 1)
    return spans


def _near_hints(
    pattern: re.Pattern[str],
    text: str,
    hints: tuple[str, ...] | re.Pattern[str],
    before: int,
    after: int,
) -> Iterator[re.Match[str]]:
    """Matches of ``pattern`` within ``before``/``after`` characters of a hint.

    The pre-check of the contextual detectors: finding a few keywords is far cheaper than a
    long pattern tried at every position, so the pattern runs only where its keyword is.
    """
    found = _hint_spans(text, hints)
    if found is None:
        yield from pattern.finditer(text)
        return
    # Overlapping stretches become one, so no match is cut where one stretch ends.
    window: list[int] | None = None
    for start, end in sorted((max(0, start - before), end + after) for start, end in found):
        if window and start <= window[1]:
            window[1] = max(window[1], end)
            continue
        if window:
            yield from pattern.finditer(text, *window)
        window = [start, end]
    if window:
        yield from pattern.finditer(text, *window)


# Words after a number that mark it as a quantity, never as a house number.
_UNIT = (
    r"(?:%|€|(?i:euro|eur|uhr|min|minuten|std|stunden|tage?n?|wochen?|monate?n?|jahre?n?|mal"
    r"|prozent|personen|leute|kinder|km|kilometer|meter|sterne|seiten|briefe|anrufe)(?!\w))"
)

# --- e-mail -------------------------------------------------------------------------------

# The lookbehind anchors candidates at the start of a run, which keeps the scan linear.
_EMAIL_RE = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# Written out to fool filters: ``max.muster (at) web.de``, ``max[at]gmx[dot]de``, and bare
# words, ``max punkt muster at web punkt de``. A bare "at" is an ordinary English word, so the
# bare forms need the domain to end in a dot (written or spelled) and a top-level domain.
_AT = r"(?:\s*[(\[{<]\s*(?:at|ät|@)\s*[)\]}>]\s*|[^\S\n]+(?:at|ät)[^\S\n]+)"
_DOT = r"(?:\s*[(\[{<]\s*(?:dot|punkt)\s*[)\]}>]\s*|[^\S\n]+(?:dot|punkt)[^\S\n]+)"
_OBFUSCATED_EMAIL_RE = re.compile(
    rf"(?<![\w+'-])([\w+'-]+(?:(?:\.|{_DOT})[\w+'-]+)*){_AT}"
    rf"([\w-]+(?:(?:\.|{_DOT})[\w-]+)*(?:\.|{_DOT})[^\W\d_]{{2,24}})(?![\w-])",
    re.IGNORECASE,
)
_DOT_RE = re.compile(_DOT, re.IGNORECASE)
# The pre-check: without one of these, no written-out address can be in the text.
_AT_HINTS = re.compile(r"[(\[{<]\s*(?:at|ät|@)|[^\S\n](?:at|ät)[^\S\n]", re.IGNORECASE)


def _is_email(candidate: str) -> bool:
    try:
        validate_email(candidate, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _find_emails(text: str) -> Iterator[Span]:
    if "@" not in text:
        return
    for m in _EMAIL_RE.finditer(text):
        # A sentence like "...max@web.de" would otherwise start the address with dots.
        start = m.end() - len(m.group().lstrip("."))
        if _is_email(text[start : m.end()]):
            yield start, m.end()


def _find_obfuscated_emails(text: str) -> Iterator[Span]:
    for m in _near_hints(_OBFUSCATED_EMAIL_RE, text, _AT_HINTS, 80, 80):
        local = _DOT_RE.sub(".", m.group(1))
        if _is_email(f"{local}@{_DOT_RE.sub('.', m.group(2))}"):
            yield m.span()


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
_DE_IBAN_TYPO_RE = re.compile(
    r"[Dd](?<![A-Za-z0-9][Dd])[Ee] ?[0-9]{2}(?:[ -]?[0-9]){16,20}(?![0-9])"
)


# --- Jobcenter reference numbers ----------------------------------------------------------

# Patterns that start with a digit (the lookbehind after it) let the engine skip to digits.
_BG_NUMBER_RE = re.compile(r"\d(?<!\w\d)\d{4}[ -]?BG[ -]?\d{7}(?!\d)", re.IGNORECASE)
_CUSTOMER_NUMBER_RE = re.compile(r"\d(?<!\w\d)\d{2} ?[A-Za-z] ?\d{6}(?!\d)")
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


# Literal alternatives, case by case: the engine finds those fast, unlike an ignore-case pattern.
_CUSTOMER_HINTS = re.compile(
    r"Kunden|kunden|KUNDEN|Kd|kd|KD|Aktenzeichen|aktenzeichen|AKTENZEICHEN|Az|AZ"
)


def _find_keyword_customer_numbers(text: str) -> Iterator[Span]:
    for m in _near_hints(_CUSTOMER_KEYWORD_RE, text, _CUSTOMER_HINTS, 2, 80):
        if sum(c.isdigit() for c in m.group(1)) >= 4:
            yield m.span(1)


# --- postal address -----------------------------------------------------------------------

_STREET_WORDS = (
    r"stra(?:ß|ss)e|str\.|str(?=\s?\d)|weg|gasse|allee|platz|ring|damm|ufer|chaussee|steig|pfad"
    r"|markt|graben|wall|promenade|kamp|anger|stieg|kai|deich"
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

# --- Steuer-ID, Rentenversicherungsnummer, ID documents -------------------------------------

# 11 digits, the first not 0, single spaces allowed ("12 345 678 901"). Only a valid number is
# masked (python-stdnum checks the digit rules and the check digit), unless it is named as one.
_TAX_ID_RE = re.compile(r"[1-9](?: ?\d){10}(?! ?\d)")
_TAX_ID_KEYWORD_RE = re.compile(
    r"(?<!\w)(?i:steuer[\s-]?(?:id|identifikationsnummer|-?idnr\.?|-?nummer|-?nr\.?)"
    r"|steueridentifikationsnummer|identifikationsnummer|id-?nr\.?|tin|tax\s+id)"
    r"\W{0,3}(?:(?:ist|lautet|is|:)\W{0,3})?$"
)


def _isolated(text: str, start: int, end: int) -> bool:
    """Not part of a longer number or word: "+49 151 12345678" holds no 11-digit number."""
    before = text[start - 1 : start]
    if before.isalnum() or before == "+":
        return False
    if before == " " and text[start - 2 : start - 1].isdigit():
        return False
    return not text[end : end + 1].isalnum()


def _find_tax_ids(text: str) -> Iterator[Span]:
    for m in _TAX_ID_RE.finditer(text):
        start, end = m.span()
        if not _isolated(text, start, end):
            continue
        named = _TAX_ID_KEYWORD_RE.search(text, max(0, start - 40), start)
        if named or idnr.is_valid(m.group()):
            yield start, end


# Area number, birth date (DDMMYY), initial of the birth name, serial number, check digit:
# "65 170839 J 003". The check digit is not in python-stdnum; see _pension_check_digit.
_INSURANCE_NUMBER_RE = re.compile(
    r"(\d{2}) ?((?:0[1-9]|[12]\d|3[01]) ?(?:0[1-9]|1[0-2]) ?\d{2}) ?([A-Za-z]) ?(\d{2}) ?(\d)"
)
_INSURANCE_KEYWORD_RE = re.compile(
    r"(?i:(?:renten|sozial)?versicherungs-?(?:nummer|nr\.?)|rv-?(?:nummer|nr\.?)|sv-?(?:nummer"
    r"|nr\.?)|vsnr\.?|rvnr\.?)\W{0,3}(?:(?:ist|lautet|:)\W{0,3})?$"
)
_PENSION_WEIGHTS = (2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1)


def _pension_check_digit(area: str, birth: str, letter: str, serial: str) -> int:
    """The check digit of a Rentenversicherungsnummer (Versicherungsnummer).

    The letter becomes its two-digit position in the alphabet (A = 01); the twelve digits are
    weighted 2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1, the digit sums of the products are added and
    the sum modulo 10 is the check digit. Reference: Deutsche Rentenversicherung, "Aufbau der
    Versicherungsnummer" (§ 147 SGB VI, Versicherungsnummern-Verordnung § 2 and Anlage);
    de.wikipedia.org/wiki/Versicherungsnummer#Prüfziffer. "65 170839 J 003" has check digit 3.
    """
    digits = f"{area}{birth}{ord(letter.upper()) - ord('A') + 1:02d}{serial}"
    products = (int(digit) * weight for digit, weight in zip(digits, _PENSION_WEIGHTS, strict=True))
    return sum(product // 10 + product % 10 for product in products) % 10


def _find_insurance_numbers(text: str) -> Iterator[Span]:
    for m in _INSURANCE_NUMBER_RE.finditer(text):
        start, end = m.span()
        if text[start - 1 : start].isalnum() or text[end : end + 1].isalnum():
            continue
        area, birth, letter, serial, check = m.groups()
        valid = _pension_check_digit(area, birth.replace(" ", ""), letter, serial) == int(check)
        # A wrong check digit is most likely a typo, when the text says what the number is.
        if valid or _INSURANCE_KEYWORD_RE.search(text, max(0, start - 40), start):
            yield start, end


# The number of a Personalausweis, Reisepass or Aufenthaltstitel only when named as such:
# letters and digits alone are too common (error codes, file numbers) to mask without context.
_ID_DOCUMENT_RE = re.compile(
    r"(?<!\w)(?i:(?:personal)?ausweis(?:es)?(?:-?nummer|-?nr\.?)?|perso(?:-?nummer|-?nr\.?)?"
    r"|reisepass(?:es)?(?:-?nummer|-?nr\.?)?|pass(?:-?nummer|-?nr\.?)"
    r"|mein(?:en|es)?\s+pass(?:es)?|aufenthalts(?:titel|erlaubnis|karte|gestattung)s?"
    r"(?:-?nummer|-?nr\.?)?|(?-i:eAT)|dokumenten-?(?:nummer|nr\.?)|passport(?:\s+(?:number|no\.?))?"
    r"|id[\s-]card(?:\s+(?:number|no\.?))?|kimlik(?:\s+(?:no|numaram|numarası|kartı))?"
    r"|pasaport(?:\s+(?:no|numaram|numarası))?|паспорт\w*|посвідк\w*|вид\s+на\s+жительство"
    r"|جواز\s+(?:السفر|سفري)|رقم\s+(?:الجواز|الهوية)|بطاقة\s+الهوية|الإقامة)"
    r"(?:\W{0,3}(?i:nr\.?|nummer|no\.?|number|numaram|numarası|номер|رقم|ist|lautet|is|hat"
    r"(?:\s+die)?(?:\s+nummer)?|mit\s+der\s+nummer|:)){0,3}\W{0,3}"
    r"([A-Za-z0-9]{6,12})(?![\w-])"
)
_ID_HINTS = (
    *("ausweis", "perso", "pass", "aufenthalt", "eat", "dokument", "id card", "id-card"),
    *("kimlik", "pasaport", "паспорт", "посвідк", "жительство", "جواز", "الهوية", "الإقامة"),
)


def _find_id_documents(text: str) -> Iterator[Span]:
    for m in _near_hints(_ID_DOCUMENT_RE, text, _ID_HINTS, 10, 80):
        if sum(c.isdigit() for c in m.group(1)) >= 2:
            yield m.span(1)


# --- date of birth --------------------------------------------------------------------------

_MONTH_NAMES = (
    r"(?i:januar|jänner|februar|märz|maerz|april|mai|juni|juli|august|september|oktober"
    r"|november|dezember|january|february|march|may|june|july|october|december"
    r"|jan|feb|mär|mar|apr|jun|jul|aug|sept?|okt|oct|nov|dez|dec)\.?"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_YEAR = r"(?:19|20)\d{2}"
_DATE = (
    rf"(?:{_DAY}\s?[./-]\s?{_MONTH}\s?[./-]\s?(?:{_YEAR}|\d{{2}})"
    rf"|{_YEAR}-{_MONTH}-{_DAY}"
    rf"|{_DAY}\.?\s*{_MONTH_NAMES}\s*{_YEAR}"
    rf"|{_MONTH_NAMES}\s+{_DAY},?\s+{_YEAR}"
    rf"|{_DAY}\.{_MONTH}\.(?!\d)"
    rf"|{_YEAR})(?![\d.]\d)"
)
# Words between the keyword and the date: no digits, no commas ("geb. Schmidt, Termin am ...").
_GAP = r"(?:[^\W\d][^\s\d.,;!?]*:?\s+){0,4}?"
_BIRTH_KEYWORDS = (
    r"geb(?:oren)?\.?|geburtsdatum|geb\.?-datum|geburtstag|geburtsjahr|jahrgang|jg\."
    r"|born|date\s+of\s+birth|dob|birthday|doğum\s+tarihi(?:m)?|doğum\s+günü|дата\s+рождения"
    r"|родил(?:ся|ась)|дата\s+народження|народи(?:вся|лася)|تاريخ\s+(?:الميلاد|ميلادي|ميلاده"
    r"|ميلادها)|مواليد|ولدت|وتاريخ\s+(?:الميلاد|ميلادي)"
)
_BIRTH_AFTER = (
    r"geboren|born|doğumlu\w*|doğdum|г\.\s?р\.|года\s+рождения|родил(?:ся|ась)|року\s+народження"
    r"|народи(?:вся|лася)|ولدت"
)
_BIRTH_DATE_RE = re.compile(
    rf"(?<![\w\[])(?i:{_BIRTH_KEYWORDS})(?!\w)\W{{0,3}}{_GAP}(?P<date>{_DATE})"
    rf"|(?<![\w.])(?P<before>{_DATE})(?:['’]\w+)?\s+"
    rf"(?:[^\W\d][^\s\d.,;!?]*\s+){{0,3}}?(?i:{_BIRTH_AFTER})(?!\w)"
)
_BIRTH_HINTS = re.compile(
    r"geb[ .:,\n]|Geb[ .:,\n]|gebor|Gebor|geburt|Geburt|GEB|jahrg|Jahrg|JAHRG|jg\.|Jg\.|born|Born"
    r"|BORN|birth|Birth|dob|Dob|DOB|doğ|Doğ|DOĞ|рожд|Рожд|родил|Родил|народ|Народ|г\.\s?р|Г\.\s?р"
    r"|ميلاد|مواليد|ولدت"
)


def _find_birth_dates(text: str) -> Iterator[Span]:
    for m in _near_hints(_BIRTH_DATE_RE, text, _BIRTH_HINTS, 80, 100):
        yield m.span("date") if m.group("date") else m.span("before")


# --- names ------------------------------------------------------------------------------------

# What introduces the writer's own name; a "lower" trigger admits a name written in lower case
# ("mein name ist max muster"), the others only capitalised words.
_INTRODUCTION_RE = re.compile(
    r"(?<!\w)(?:"
    r"(?P<lower>(?i:mein\s+name\s+(?:ist|lautet)|ich\s+hei(?:ß|ss)e|my\s+name\s+is"
    r"|benim\s+adım|меня\s+зовут|мене\s+зва?(?:ти|уть))):?"
    r"|(?:^|(?<=\n)|(?<=[.!?] ))(?i:adım)"
    r"|(?i:hier\s+schreibt|ismim|моё\s+имя|мое\s+имя|моє\s+ім['’]я)"
    r"|(?P<title>(?i:ich\s+bin|i\s+am|i['’]m)\s+(?:Frau|Herr|Mrs?\.?|Ms\.?|Miss))"
    r"|(?P<arabic>(?:أنا\s+)?(?:اسمي|إسمي))"
    r")[^\S\n]+"
)
_SIGN_OFF_RE = re.compile(
    r"(?<!\w)(?:"
    r"(?i:(?:mit\s+)?(?:freundliche[nm]?|beste[nm]?|herzliche[nm]?|liebe[nm]?|viele[nm]?"
    r"|schöne[nm]?|nette[nm]?|sonnige[nm]?)\s+gr(?:ü|ue|u)(?:ß|ss)(?:e|en)?"
    r"|gr(?:ü|ue)(?:ß|ss)e|gru(?:ß|ss)|mfg|lg|vg|hochachtungsvoll"
    r"|(?:best|kind|warm)\s+regards|regards|yours\s+(?:sincerely|faithfully)|sincerely"
    r"|best\s+wishes|saygılarımla|saygılar|selamlar|с\s+уважением|з\s+повагою)"
    r"|مع\s+(?:خالص\s+)?(?:التحية|التحيات|تحياتي)|تحياتي"
    r")(?!\w)[^\S\n]*[,.!:–-]?[^\S\n]*(?:\r?\n[^\S\n]*)?"
    r"(?:(?i:ihr|ihre|euer|eure|dein|deine|your)[^\S\n]+)?"
    r"(?:(?:Frau|Herr|Fam\.|Familie|Mr\.?|Mrs\.?|Ms\.?)[^\S\n]+)?"
)
_NAME_TOKEN_RE = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*\.?")
_TITLE_RE = re.compile(r"(?:Dr|Prof|Dipl|Ing)\.[^\S\n]*")
_PARTICLES = frozenset(
    ("von", "van", "de", "der", "den", "del", "da", "di", "zu", "al", "el", "bin", "ibn", "ter")
)
# Words that follow an introduction or a sign-off without being a name ("Mein Name ist nicht
# wichtig", "Viele Grüße an das Team", "Mein Name ist Hase"). A stop list, not a list of names.
_NOT_NAME_WORDS = """
nicht egal unwichtig unbekannt geheim nebensache hase anonym anonymous nichts doch ja nein auch so
hier eigentlich wirklich leider und oder aber an aus vom von bis bei mit für danke dank vielen
herzlich euch ihnen dich sie ich wir er es alle allen ihr ihre mein meine der die das dem den des
ein eine einer team jobcenter kunde kundin bürger bürgerin mutter vater the and thanks not
unimportant أنا وأنا و من في وقد وانا
"""
_NOT_NAMES = frozenset(_NOT_NAME_WORDS.split())
_STAFF_CONTEXT_RE = re.compile(
    r"(?i:dankbar|begegnet|verpflichtet|gefolgt|böse|sauer|(?:aus|vom|im|in)\s+(?:dem\s+)?team)"
)
# Lower-case pieces of every trigger, for the pre-check.
_INTRODUCTION_HINTS = (
    *("name", "heiße", "heisse", "schreibt", "ich bin", "i am", "i'm", "i’m", "adım", "ismim"),
    *("зовут", "зва", "зву", "имя", "ім", "اسمي", "إسمي"),
)
_SIGN_OFF_HINTS = (
    *("grü", "gru", "mfg", "lg", "vg", "hochachtungsvoll", "regards", "sincerely", "wishes"),
    *("saygı", "selam", "уважением", "повагою", "تحي"),
)
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_SPACE_RE = re.compile(r"[^\S\n]+")
_CLAUSE_RE = re.compile(r"[^.!?\n]*")


def _is_name_word(word: str, *, lower_ok: bool, arabic: bool) -> bool:
    if word.casefold() in _NOT_NAMES:
        return False
    if arabic and _ARABIC.match(word):
        return True
    return word[:1].isupper() or (lower_ok and word[:1].islower() and len(word) > 1)


def _take_name(text: str, pos: int, *, lower_ok: bool, arabic: bool = False) -> int | None:
    """The end of a name of up to three words starting at ``pos``, or None if there is none.

    Particles ("von der") may join the words; an initial keeps its dot ("M. Muster"), a dot
    after a longer word ends the sentence and the name.
    """
    if title := _TITLE_RE.match(text, pos):
        pos = title.end()
    end, words = None, 0
    # Arabic has no capitals to end a name: two words at most ("اسمي أحمد محمد").
    while words < (2 if arabic else 3) and (m := _NAME_TOKEN_RE.match(text, pos)):
        bare = m.group().rstrip(".")
        if not (words and bare.casefold() in _PARTICLES):
            if not _is_name_word(bare, lower_ok=lower_ok, arabic=arabic):
                break
            words += 1
            end = m.end() if len(bare) == 1 else m.start() + len(bare)
        space = _SPACE_RE.match(text, m.end())
        if (m.group().endswith(".") and len(bare) > 1) or not space:
            break
        pos = space.end()
    return end


def _find_introduced_names(text: str) -> Iterator[Span]:
    for m in _near_hints(_INTRODUCTION_RE, text, _INTRODUCTION_HINTS, 10, 20):
        lower_ok = bool(m.group("lower")) and m.group("lower").islower()
        end = _take_name(text, m.end(), lower_ok=lower_ok, arabic=bool(m.group("arabic")))
        if end is None:
            continue
        # "Ich bin Frau Schneider aus Team 3 sehr dankbar" praises staff.
        if m.group("title") and _STAFF_CONTEXT_RE.search(_CLAUSE_RE.match(text, end).group()):
            continue
        yield m.end(), end


_LINE_END_RE = re.compile(r"[^\S\n]*[.!]?[^\S\n]*(?:\r?\n|$)")


def _find_signed_names(text: str) -> Iterator[Span]:
    for m in _near_hints(_SIGN_OFF_RE, text, _SIGN_OFF_HINTS, 30, 60):
        lower_ok = text[m.start() : m.end()].islower()
        arabic = bool(_ARABIC.match(text, m.start()))
        end = _take_name(text, m.end(), lower_ok=lower_ok, arabic=arabic)
        # The name closes its line: "Viele Grüße Max Muster" but not "Viele Grüße aus Koblenz".
        if end is not None and _LINE_END_RE.match(text, end):
            yield m.end(), end


def _find_names(text: str) -> Iterator[Span]:
    yield from _find_introduced_names(text)
    yield from _find_signed_names(text)


@lru_cache(maxsize=256)
def _known_name_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """The given names and their parts of three letters or more, as whole words."""
    words: set[str] = set()
    for name in names:
        name = " ".join(name.split())
        if len(name) >= 2:
            words.add(name)
        words.update(part for part in re.split(r"[\s,]+", name) if len(part) >= 3)
    if not words:
        return None
    alternatives = "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


# An address has a number right after a street or place word ("Hauptstr. 5", "Am Markt 7"), or
# a postcode: only then is the (slow) address pattern worth running. The word before each
# number is checked with ``str.endswith``, far cheaper than a case-insensitive alternation.
_STREET_ENDINGS = (
    *(word.replace("\\", "") for word in _PLACE_WORDS.split("|") if "(" not in word),
    *("straße", "strasse", "str", "caddesi", "cad.", "sokak", "sokağı", "sok.", "bulvarı"),
    "postfach",
)


def _address_windows(text: str) -> Iterator[Span]:
    """Stretches around numbers after a street word and around 5-digit numbers, merged."""
    window: list[int] | None = None
    for m in _DIGIT_RUN_RE.finditer(text):
        start = m.start()
        if m.end() - start != 5:
            # The last letters before the number, past one space: "Hauptstr. 5", "Am Markt 7".
            tail = text[max(0, start - 10) : start].rstrip().lower()
            if not tail.endswith(_STREET_ENDINGS):
                continue
        first, last = max(0, start - 80), min(len(text), start + 80)
        if window and first <= window[1]:
            window[1] = last
            continue
        if window:
            yield window[0], window[1]
        window = [first, last]
    if window:
        yield window[0], window[1]


def _find_address(text: str) -> Iterator[Span]:
    for first, last in _address_windows(text):
        yield from (m.span() for m in _ADDRESS_RE.finditer(text, first, last))


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


# Five digits, possibly grouped, at the least: anything shorter is no phone number at all.
_PHONE_CANDIDATE_RE = re.compile(r"\d(?:[ ./()\-–]{0,3}\d){4,}")
_PHONE_MARGIN = 24  # characters of context either side of a candidate for the matcher


def _phone_windows(text: str) -> Iterator[Span]:
    """Stretches of the text around digit runs long enough to be a phone number.

    The matcher of phonenumbers is by far the slowest step; running it only where a number
    can be keeps a long text without one cheap. Runs close to each other share a window.
    """
    window: list[int] | None = None
    for m in _PHONE_CANDIDATE_RE.finditer(text):
        harmless = _HARMLESS_NUMBER_RE.match(text, m.start())
        if harmless and harmless.end() >= m.end():
            continue  # a date or an amount, nothing else
        start, end = max(0, m.start() - _PHONE_MARGIN), min(len(text), m.end() + _PHONE_MARGIN)
        if window and start <= window[1]:
            window[1] = end
            continue
        if window:
            yield window[0], window[1]
        window = [start, end]
    if window:
        yield window[0], window[1]


def _shadow(text: str, first: int, last: int) -> str:
    """``text[first:last]`` with dates, times and amounts hidden from the phone matcher."""
    parts, pos = [], first
    for m in _HARMLESS_NUMBER_RE.finditer(text, first, last):
        parts += [text[pos : m.start()], "_" * (m.end() - m.start())]
        pos = m.end()
    parts.append(text[pos:last])
    return "".join(parts)


# The first letters of every word of ``_PHONE_KEYWORD_RE``, in lower case.
_PHONE_KEYWORD_STEMS = ("tel", "handy", "mobil", "rufnummer", "fax", "festnetz", "whatsapp")


def _cannot_hold_phone(text: str, first: int, last: int, shadow: str) -> bool:
    """Whether no match of the window could be kept, so the matcher need not run.

    A match is kept only when it (or a part of it) starts with ``+`` or a leading zero (any
    digit phonenumbers reads as 0), or when a keyword stands within 40 characters before it.
    Without a ``+``, a zero or a keyword's stem near the window nothing is kept; letters that
    fold to an ASCII letter of a stem (``ſ``, ``ı``, ``İ``) always go to the matcher.
    """
    if "+" in shadow or "0" in shadow:
        return False
    if not shadow.isascii() and any(unicodedata.digit(c, -1) == 0 for c in shadow):
        return False
    before = text[max(0, first - 40) : last]
    if not before.isascii() and any(c in before for c in "ſıİ"):
        return False
    lower = before.lower()
    return not any(stem in lower for stem in _PHONE_KEYWORD_STEMS)


def _find_phones(text: str) -> Iterator[Span]:
    leniency = phonenumbers.Leniency.POSSIBLE
    for first, last in _phone_windows(text):
        shadow = _shadow(text, first, last)
        if not _PHONE_CANDIDATE_RE.search(shadow):
            continue  # only dates and amounts here
        if _cannot_hold_phone(text, first, last, shadow):
            continue
        for m in phonenumbers.PhoneNumberMatcher(shadow, "DE", leniency=leniency):
            start, end = first + m.start, first + m.end
            # Letters inside mean an extension marker was read into "0x80070005" or similar.
            if any(c.isalpha() for c in m.raw_string) or _AMOUNT_AFTER_RE.match(text, end):
                continue
            if _is_dialable(m.raw_string, lenient=True):
                yield start, end
            elif _PHONE_KEYWORD_RE.search(text, max(0, start - 40), start):
                # "Tel. 12 34 56": a local number without area code, announced as such.
                if len(phonenumbers.normalize_digits_only(m.raw_string)) >= 5:
                    yield start, end
            else:
                yield from _valid_sub_spans(m.raw_string, start)


# --- driver -------------------------------------------------------------------------------

# Order matters: the more specific patterns go first so their digits are gone before the
# phone matcher sees them, and addresses precede phones so a postcode never leaves the
# town name behind. Names come last: a placeholder ends a name, so "Ich heiße Max Muster,
# Musterstraße 12" cannot run on into the street.
_DETECTORS: tuple[tuple[str, Callable[[str], Iterator[Span]]], ...] = (
    ("email", _find_emails),
    ("email", _find_obfuscated_emails),
    ("iban", _find_ibans),
    ("iban", _find_pattern(_DE_IBAN_TYPO_RE)),
    ("bg_number", _find_pattern(_BG_NUMBER_RE)),
    ("insurance_number", _find_insurance_numbers),
    ("tax_id", _find_tax_ids),
    ("id_document", _find_id_documents),
    ("customer_number", _find_pattern(_CUSTOMER_NUMBER_RE)),
    ("customer_number", _find_keyword_customer_numbers),
    ("birth_date", _find_birth_dates),
    ("address", _find_address),
    ("phone", _find_phones),
    ("name", _find_names),
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


def mask_personal_data(text: str, *, names: Iterable[str] = ()) -> MaskResult:
    """Replace personal data in ``text`` by placeholders; harmless numbers stay untouched.

    ``names`` are names known to belong to the writer (a Google reviewer's display name): they
    and their parts are masked wherever they appear, besides the names found by context.
    """
    kinds: set[str] = set()
    known = _known_name_pattern(tuple(name for name in names if name))
    if known is not None and (spans := [m.span() for m in known.finditer(text)]):
        text = _replace(text, spans, PLACEHOLDERS["name"])
        kinds.add("name")
    for kind, find in _DETECTORS:
        if spans := list(find(text)):
            text = _replace(text, spans, PLACEHOLDERS[kind])
            kinds.add(kind)
    return MaskResult(text, frozenset(kinds))


def find_personal_data(text: str, *, names: Iterable[str] = ()) -> tuple[str, ...]:
    """The kinds of personal data in ``text``, in the order of ``KINDS``; nothing is masked.

    For texts that are kept as written, such as the officer's internal notes, which only warn.
    """
    found = mask_personal_data(text, names=names).kinds
    return tuple(kind for kind in KINDS if kind in found)


def describe_kinds(kinds: Iterable[str]) -> str:
    """The kinds in German words, for a warning: "Telefonnummer, Geburtsdatum"."""
    return ", ".join(LABELS[kind] for kind in kinds)
