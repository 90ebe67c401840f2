"""Corpus tests for masking personal data in citizens' feedback texts."""

from __future__ import annotations

import dataclasses
import random

import pytest

from portal.privacy import KINDS, PLACEHOLDERS, MaskResult, mask_personal_data

MAIL = PLACEHOLDERS["email"]
TEL = PLACEHOLDERS["phone"]
IBAN = PLACEHOLDERS["iban"]
BG = PLACEHOLDERS["bg_number"]
KDNR = PLACEHOLDERS["customer_number"]
ADR = PLACEHOLDERS["address"]
NAME = PLACEHOLDERS["name"]

# (text, expected masked text, expected kinds)
MASKED = [
    # --- phone numbers ---------------------------------------------------------------------
    pytest.param(
        "Bitte rufen Sie mich zurück: 0261 123456.",
        f"Bitte rufen Sie mich zurück: {TEL}.",
        {"phone"},
        id="phone-landline-end-of-sentence",
    ),
    pytest.param(
        "Ich bin unter 0261/123456 erreichbar, am besten vormittags.",
        f"Ich bin unter {TEL} erreichbar, am besten vormittags.",
        {"phone"},
        id="phone-slash",
    ),
    pytest.param(
        "Festnetz (0261) 12 34 56, Handy 0151-12345678 – beides geht.",
        f"Festnetz {TEL}, Handy {TEL} – beides geht.",
        {"phone"},
        id="phone-parentheses-and-dash",
    ),
    pytest.param(
        "Meine neue Nummer ist +49 151 12345678, die alte gilt seit 2025 nicht mehr.",
        f"Meine neue Nummer ist {TEL}, die alte gilt seit 2025 nicht mehr.",
        {"phone"},
        id="phone-international",
    ),
    pytest.param(
        "Die Zentrale 0049 (0)261 98765-0 ist nie besetzt!",
        f"Die Zentrale {TEL} ist nie besetzt!",
        {"phone"},
        id="phone-0049-with-trunk-zero",
    ),
    pytest.param(
        "Beni arayın lütfen: +90 532 123 45 67 (Türkçe konuşuyorum).",
        f"Beni arayın lütfen: {TEL} (Türkçe konuşuyorum).",
        {"phone"},
        id="phone-turkish",
    ),
    pytest.param(
        "Rückruf bitte an 0151.1234.5678 oder 01511 2345678",
        f"Rückruf bitte an {TEL} oder {TEL}",
        {"phone"},
        id="phone-dots-and-number-at-end",
    ),
    pytest.param(
        "Am 12.03.2026 0261 123456 angerufen, niemand ging ran.",
        f"Am 12.03.2026 {TEL} angerufen, niemand ging ran.",
        {"phone"},
        id="phone-after-date",
    ),
    pytest.param(
        "Erreichbar unter 0261 123456 12.03.2026 ab 9 Uhr.",
        f"Erreichbar unter {TEL} 12.03.2026 ab 9 Uhr.",
        {"phone"},
        id="phone-before-date",
    ),
    pytest.param(
        "Neue Nummer ab 2026 0151 12345678, bitte speichern.",
        f"Neue Nummer ab 2026 {TEL}, bitte speichern.",
        {"phone"},
        id="phone-after-year",
    ),
    pytest.param(
        "Ich bin unter 0151 12345678 Tag und Nacht erreichbar.",
        f"Ich bin unter {TEL} Tag und Nacht erreichbar.",
        {"phone"},
        id="phone-followed-by-noun",
    ),
    pytest.param(
        "Tel. 12 34 56 (nur abends nach 18:00)",
        f"Tel. {TEL} (nur abends nach 18:00)",
        {"phone"},
        id="phone-local-number-after-keyword",
    ),
    pytest.param(
        "Die Hotline 0800 4 5555 00 ist Mo-Fr 8-12 Uhr kaum erreichbar.",
        f"Die Hotline {TEL} ist Mo-Fr 8-12 Uhr kaum erreichbar.",
        {"phone"},
        id="phone-service-number-next-to-hours",
    ),
    pytest.param(
        "مرحبا، أرجو الاتصال بي على 0176 12345678 شكرا",
        f"مرحبا، أرجو الاتصال بي على {TEL} شكرا",
        {"phone"},
        id="phone-in-arabic-text",
    ),
    pytest.param(
        "رقمي ٠١٥١ ١٢٣٤٥٦٧٨",
        f"رقمي {TEL}",
        {"phone"},
        id="phone-arabic-indic-digits",
    ),
    # --- e-mail ----------------------------------------------------------------------------
    pytest.param(
        "Antwort bitte an max.mustermann@web.de, danke!",
        f"Antwort bitte an {MAIL}, danke!",
        {"email"},
        id="email-plain",
    ),
    pytest.param(
        "Meine Adresse: Jürgen.Müller@GMX.de.",
        f"Meine Adresse: {MAIL}.",
        {"email"},
        id="email-umlauts-and-case",
    ),
    pytest.param(
        "Schreiben Sie an max.muster (at) web.de oder max[at]gmx.de.",
        f"Schreiben Sie an {MAIL} oder {MAIL}.",
        {"email"},
        id="email-obfuscated",
    ),
    pytest.param(
        "Please reply to ayse.yilmaz@gmail.com, my German is not good.",
        f"Please reply to {MAIL}, my German is not good.",
        {"email"},
        id="email-english",
    ),
    # --- IBAN ------------------------------------------------------------------------------
    pytest.param(
        "Bitte überweisen Sie auf DE89 3704 0044 0532 0130 00 bis zum 15.04.2026.",
        f"Bitte überweisen Sie auf {IBAN} bis zum 15.04.2026.",
        {"iban"},
        id="iban-spaced-before-date",
    ),
    pytest.param(
        "Neue Kontoverbindung: de89370400440532013000.",
        f"Neue Kontoverbindung: {IBAN}.",
        {"iban"},
        id="iban-lowercase-compact",
    ),
    pytest.param(
        "IBAN DE89 3704 0044 0532 0130 01, die alte ist gekündigt.",
        f"IBAN {IBAN}, die alte ist gekündigt.",
        {"iban"},
        id="iban-typo-in-checksum",
    ),
    pytest.param(
        "IBAN: DE 89 3704 0044 0532 0130 00 BIC COBADEFFXXX, 563 Euro fehlen.",
        f"IBAN: {IBAN} BIC COBADEFFXXX, 563 Euro fehlen.",
        {"iban"},
        id="iban-space-after-country-and-amount",
    ),
    pytest.param(
        "Alte IBAN DE89 3704 0044 0532 0130 0 (eine Ziffer fehlt), Miete 450 Euro.",
        f"Alte IBAN {IBAN} (eine Ziffer fehlt), Miete 450 Euro.",
        {"iban"},
        id="iban-digit-missing",
    ),
    pytest.param(
        "Konto in Österreich AT61 1904 3002 3457 3201 und in NL91 ABNA 0417 1643 00.",
        f"Konto in Österreich {IBAN} und in {IBAN}.",
        {"iban"},
        id="iban-foreign",
    ),
    # --- BG and customer numbers -----------------------------------------------------------
    pytest.param(
        "BG-Nummer 12345BG0012345, bitte prüfen Sie das.",
        f"BG-Nummer {BG}, bitte prüfen Sie das.",
        {"bg_number"},
        id="bg-number",
    ),
    pytest.param(
        "meine bg nummer ist 12345 bg 0012345",
        f"meine bg nummer ist {BG}",
        {"bg_number"},
        id="bg-number-spaced-lowercase",
    ),
    pytest.param(
        "Kundennummer 123A456789 – seit 6 Wochen keine Antwort.",
        f"Kundennummer {KDNR} – seit 6 Wochen keine Antwort.",
        {"customer_number"},
        id="customer-number",
    ),
    pytest.param(
        "Ich werde unter 123 A 456789 geführt.",
        f"Ich werde unter {KDNR} geführt.",
        {"customer_number"},
        id="customer-number-spaced",
    ),
    pytest.param(
        "Kunden-Nr. 987654321 und Kd.-Nr.: 47110815",
        f"Kunden-Nr. {KDNR} und Kd.-Nr.: {KDNR}",
        {"customer_number"},
        id="customer-number-after-keyword",
    ),
    pytest.param(
        "Widerspruch gegen den Bescheid vom 03.02.2026, Az. 12/345-2026, ist unbearbeitet.",
        f"Widerspruch gegen den Bescheid vom 03.02.2026, Az. {KDNR}, ist unbearbeitet.",
        {"customer_number"},
        id="aktenzeichen-next-to-date",
    ),
    pytest.param(
        "AZ: 962.12.345 und Kundennr.: 987 654 321, seit 6 Wochen offen.",
        f"AZ: {KDNR} und Kundennr.: {KDNR}, seit 6 Wochen offen.",
        {"customer_number"},
        id="aktenzeichen-dotted-and-grouped-number",
    ),
    pytest.param(
        "Mein Aktenzeichen lautet W 1234/25.",
        f"Mein Aktenzeichen lautet {KDNR}.",
        {"customer_number"},
        id="aktenzeichen-with-letter",
    ),
    # --- addresses -------------------------------------------------------------------------
    pytest.param(
        "Ich wohne in der Musterstraße 12, 56130 Bad Ems, und bekomme keine Post.",
        f"Ich wohne in der {ADR}, und bekomme keine Post.",
        {"address"},
        id="address-full",
    ),
    pytest.param(
        "Der Brief ging an Hauptstr. 5a statt an meine neue Wohnung.",
        f"Der Brief ging an {ADR} statt an meine neue Wohnung.",
        {"address"},
        id="address-in-middle-of-sentence",
    ),
    pytest.param(
        "Umzug von Bahnhofstrasse 3-5 nach Am Markt 7 wurde nicht berücksichtigt.",
        f"Umzug von {ADR} nach {ADR} wurde nicht berücksichtigt.",
        {"address"},
        id="address-range-and-am-markt",
    ),
    pytest.param(
        "Lindenweg 12 b oder Koblenzer Straße 44? Beides stand im Bescheid.",
        f"{ADR} oder {ADR}? Beides stand im Bescheid.",
        {"address"},
        id="address-letter-suffix-and-two-words",
    ),
    pytest.param(
        "Ich bin von D-01067 Dresden nach 56130 Bad Ems gezogen.",
        f"Ich bin von {ADR} nach {ADR} gezogen.",
        {"address"},
        id="address-postcode-town",
    ),
    pytest.param(
        "Früher 60311 Frankfurt am Main, jetzt 06108 Halle (Saale).",
        f"Früher {ADR}, jetzt {ADR}.",
        {"address"},
        id="address-compound-town-names",
    ),
    pytest.param(
        "Meine alte Adresse: Rheinallee 8 a, 56068 Koblenz\nDie neue: c/o Müller, Kirchgasse 2, "
        "65549 Limburg an der Lahn",
        f"Meine alte Adresse: {ADR}\nDie neue: c/o Müller, {ADR}",
        {"address"},
        id="address-old-and-new",
    ),
    pytest.param(
        "Karl-Marx-Straße 112, 12043 Berlin – das Amt sitzt am Konrad-Adenauer-Platz 1.",
        f"{ADR} – das Amt sitzt am {ADR}.",
        {"address"},
        id="address-hyphenated-street-names",
    ),
    pytest.param(
        "Wohnung in der Bonner Str. 15, meine Mutter wohnt Auf dem Kirchberg 4.",
        f"Wohnung in der {ADR}, meine Mutter wohnt {ADR}.",
        {"address"},
        id="address-abbreviation-and-preposition",
    ),
    pytest.param(
        "Post bitte an Postfach 1234, 56001 Koblenz schicken.",
        f"Post bitte an {ADR} schicken.",
        {"address"},
        id="address-postfach",
    ),
    pytest.param(
        "ich wohne jetzt musterstraße 12 und warte seit 3 Monaten",
        f"ich wohne jetzt {ADR} und warte seit 3 Monaten",
        {"address"},
        id="address-lowercase",
    ),
    pytest.param(
        "Merhaba, adresim Atatürk Caddesi 5, telefonum +90 532 123 45 67.",
        f"Merhaba, adresim {ADR}, telefonum {TEL}.",
        {"address", "phone"},
        id="address-turkish",
    ),
    # --- mixed -----------------------------------------------------------------------------
    pytest.param(
        "Mit freundlichen Grüßen\nMax Muster\nMusterstraße 12\n56130 Bad Ems\n"
        "Tel. 0261 123456\nmax@web.de",
        f"Mit freundlichen Grüßen\n{NAME}\n{ADR}\nTel. {TEL}\n{MAIL}",
        {"address", "phone", "email", "name"},
        id="mixed-signature-block",
    ),
    pytest.param(
        "Sehr geehrte Damen und Herren, mein Bescheid vom 12.03.2026 (BG 12345BG0012345, "
        "Kundennummer 123A456789) kürzt § 22 SGB II um 563 Euro. Bitte überweisen Sie auf "
        "DE89370400440532013000. Ich wohne Koblenzer Straße 44, 56130 Bad Ems. "
        "Rückruf unter 0151-12345678 oder an max.muster@web.de.",
        f"Sehr geehrte Damen und Herren, mein Bescheid vom 12.03.2026 (BG {BG}, "
        f"Kundennummer {KDNR}) kürzt § 22 SGB II um 563 Euro. Bitte überweisen Sie auf "
        f"{IBAN}. Ich wohne {ADR}. "
        f"Rückruf unter {TEL} oder an {MAIL}.",
        {"email", "phone", "iban", "bg_number", "customer_number", "address"},
        id="mixed-all-kinds",
    ),
    pytest.param(
        "Frau Yılmaz in Zimmer 112 war toll! Sie hat mir am 3.4. um 14.30 Uhr geholfen, "
        "meine Mail ist ayse@posteo.de und mein Handy 0176 12345678.",
        "Frau Yılmaz in Zimmer 112 war toll! Sie hat mir am 3.4. um 14.30 Uhr geholfen, "
        f"meine Mail ist {MAIL} und mein Handy {TEL}.",
        {"email", "phone"},
        id="mixed-praise-with-contact",
    ),
]

UNCHANGED = [
    pytest.param(
        "Mein Antrag vom 12.03.2026 ist seit dem 3.4. unbearbeitet, Termin am 1. März.",
        id="dates",
    ),
    pytest.param("Eingangsdatum laut Brief: 2026-03-12.", id="iso-date"),
    pytest.param(
        "Termin um 8:30 Uhr, gewartet bis 14.30 Uhr, geöffnet ist nur 8-12 Uhr.", id="times"
    ),
    pytest.param("Seit 2019 im Bezug, Bewilligungszeitraum 2025/2026.", id="years"),
    pytest.param(
        "Mir fehlen 563 Euro, die Nachzahlung von 1.250,00 € kam nie, dazu EUR 45,50 Mahngebühr "
        "und 12.000 EUR Schulden.",
        id="amounts",
    ),
    pytest.param("Ich habe inzwischen 12345 Euro Schulden.", id="five-digit-amount"),
    pytest.param("Eine Sanktion von 30 % bzw. 10 Prozent ist zu hart.", id="percentages"),
    pytest.param("Seit 6 Wochen warte ich, insgesamt sind es 3 Monate.", id="durations"),
    pytest.param("Zimmer 112 war zu, dann Raum 2.14, am Ende Haus B, Etage 3.", id="rooms"),
    pytest.param(
        "Laut § 22 SGB II und §§ 31a, 31b SGB II sowie § 16i Abs. 2 SGB II ist das falsch.",
        id="paragraphs",
    ),
    pytest.param("Wartenummer 47, Team 3, trotzdem 5 Sterne!", id="counts"),
    pytest.param(
        "Die Straßenbahn hält vor der Tür, aber der Wegweiser fehlt. Platzmangel im Wartebereich.",
        id="street-like-words",
    ),
    pytest.param("Am Bahnhof 5 Minuten gewartet, dann Arbeitsplatz 3 Tage gesucht.", id="units"),
    pytest.param("Über 20000 Menschen und 15000 Arbeitslose in der Stadt.", id="large-counts"),
    pytest.param("Ich habe 3 Kinder (2, 5 und 11 Jahre) und eine Wohnung.", id="small-numbers"),
    pytest.param(
        "Die App zeigt Fehlercode 0x80070005 in Version 2.0.1 an.", id="error-code-and-version"
    ),
    pytest.param(
        "Frau Schneider hat mir super geholfen, vielen Dank für die schnelle Bearbeitung!",
        id="praise",
    ),
    pytest.param(
        "Vorschlag: Mehr Sitzplätze im Wartebereich und eine Ladestation für Handys.",
        id="suggestion",
    ),
    pytest.param("Telefonisch 3 Stunden in der Warteschleife, 47 Anrufe.", id="phone-words"),
    pytest.param("Bearbeitungszeit 8 bis 12 Wochen, Frist bis 31.12., Note 1,5.", id="deadlines"),
    pytest.param("Az bekledim, sadece 15 dakika. Teşekkürler!", id="turkish-az"),
    pytest.param("I waited 2 hours at counter 4, appointment on 12/03/2026.", id="english"),
    pytest.param("انتظرت 3 ساعات في مركز العمل", id="arabic"),
    pytest.param("Die Linie 12 fährt nur alle 20 Minuten zum Jobcenter.", id="bus-line"),
    pytest.param("Das Jobcenter in der Bahnhofstraße ist schwer erreichbar.", id="street-only"),
    pytest.param("Ich war um 09:15 Uhr da und habe bis 10:45 gewartet.", id="clock-times"),
    pytest.param("Mein Widerspruch vom 5.1.26 wurde am 20.2.26 abgelehnt.", id="short-dates"),
    pytest.param("Sprechzeiten 8.00-12.00 Uhr, Zeitraum 01/2026 bis 06/2026.", id="ranges"),
    pytest.param("Kontostand -245,30 Euro, Regelsatz 563,- Euro.", id="negative-amount"),
    pytest.param("Ich rufe seit 14 Tagen 3-4 mal täglich an.", id="call-counts"),
    pytest.param("Mein Sohn (17) und meine Tochter (12) leben bei mir.", id="ages"),
    pytest.param("Die PLZ 56130 stimmt im Bescheid nicht.", id="postcode-without-town"),
    pytest.param("Im Jahr 2019 bekam ich 432 Euro, heute 563 Euro.", id="im-jahr"),
    pytest.param("Bedarfsgemeinschaft mit 4 Personen, Regelbedarf 2026 unverändert.", id="bg-word"),
]


@pytest.mark.parametrize(("text", "expected", "kinds"), MASKED)
def test_masks_personal_data(text: str, expected: str, kinds: set[str]) -> None:
    result = mask_personal_data(text)
    assert result.text == expected
    assert result.kinds == kinds
    assert result.masked


@pytest.mark.parametrize("text", UNCHANGED)
def test_leaves_harmless_text_untouched(text: str) -> None:
    result = mask_personal_data(text)
    assert result.text == text
    assert result.kinds == frozenset()
    assert not result.masked


@pytest.mark.parametrize(("text", "expected", "kinds"), MASKED)
def test_is_idempotent(text: str, expected: str, kinds: set[str]) -> None:
    once = mask_personal_data(text)
    twice = mask_personal_data(once.text)
    assert twice.text == once.text
    assert not twice.masked


def test_empty_string() -> None:
    assert mask_personal_data("") == MaskResult("", frozenset())


def test_public_constants() -> None:
    assert set(PLACEHOLDERS) == set(KINDS)
    assert all(p.startswith("[") and p.endswith("entfernt]") for p in PLACEHOLDERS.values())
    result = mask_personal_data("Tel. 0261 123456")
    assert isinstance(result.kinds, frozenset)
    assert result.kinds <= set(KINDS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "x"  # type: ignore[misc]


def test_long_text() -> None:
    chunk = (
        "Am 12.03.2026 um 8:30 Uhr gewartet, 563 Euro fehlen, Tel. 0261 123456, "
        "Musterstraße 12, 56130 Bad Ems, DE89 3704 0044 0532 0130 00, max@web.de. "
    )
    text = chunk * (2000 // len(chunk) + 1)
    assert len(text) >= 2000
    result = mask_personal_data(text)
    assert result.kinds == {"phone", "address", "iban", "email"}
    for datum in ("123456", "Musterstraße", "56130", "DE89", "max@web.de"):
        assert datum not in result.text
    assert result.text.count("12.03.2026") == text.count("12.03.2026")
    assert result.text.count("563 Euro") == text.count("563 Euro")


def test_long_text_without_personal_data_is_identical() -> None:
    text = ("Seit 6 Wochen warte ich auf den Bescheid vom 12.03.2026 über 563 Euro. " * 30)[:2000]
    assert mask_personal_data(text).text is text


@pytest.mark.parametrize("seed", range(5))
def test_arbitrary_unicode_does_not_raise(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = "0123456789 .,-/()+@[]äöüßÄÖÜ€%§BGDEat\n\t\u200f\u0301٠١٢٣💶"
    texts = [
        "".join(chr(rng.randrange(0x20, 0x30000)) for _ in range(500)),
        "".join(rng.choice(alphabet) for _ in range(2000)),
    ]
    for text in texts:
        result = mask_personal_data(text)
        assert isinstance(result.text, str)
        assert result.kinds <= set(KINDS)
        assert mask_personal_data(result.text).text == result.text


@pytest.mark.parametrize(
    "text", ["\x00", "\ud800", "💶" * 100, "@" * 2000, "1" * 2000, "a." * 1000, "(at) " * 400]
)
def test_degenerate_input(text: str) -> None:
    assert isinstance(mask_personal_data(text).text, str)
