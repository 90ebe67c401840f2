"""Corpus tests for the kinds of issue 17: birth dates, tax IDs, pension insurance numbers, ID
document numbers, written-out e-mail addresses, the writer's name and the forms addresses take.

Each table row says what must go (the expected masked text) or what must stay (unchanged).
"""

from __future__ import annotations

import pytest

from portal.privacy import (
    KINDS,
    LABELS,
    PLACEHOLDERS,
    _pension_check_digit,
    describe_kinds,
    find_personal_data,
    mask_personal_data,
)

DOB = PLACEHOLDERS["birth_date"]
TAX = PLACEHOLDERS["tax_id"]
RV = PLACEHOLDERS["insurance_number"]
ID = PLACEHOLDERS["id_document"]
NAME = PLACEHOLDERS["name"]
MAIL = PLACEHOLDERS["email"]
ADR = PLACEHOLDERS["address"]
TEL = PLACEHOLDERS["phone"]

# (text, expected masked text, expected kinds)
GOES = [
    # --- date of birth ---------------------------------------------------------------------
    pytest.param(
        "Ich bin geboren am 14.07.1979 und warte seit 3 Wochen.",
        f"Ich bin geboren am {DOB} und warte seit 3 Wochen.",
        {"birth_date"},
        id="dob-geboren-am",
    ),
    pytest.param(
        "Geb. 03.09.1985, Termin am 12.03.2026 um 9 Uhr.",
        f"Geb. {DOB}, Termin am 12.03.2026 um 9 Uhr.",
        {"birth_date"},
        id="dob-geb-next-to-appointment",
    ),
    pytest.param(
        "Geburtsdatum: 14. Juli 1979",
        f"Geburtsdatum: {DOB}",
        {"birth_date"},
        id="dob-month-name",
    ),
    pytest.param(
        "Jahrgang 1962, seit 2019 arbeitslos.",
        f"Jahrgang {DOB}, seit 2019 arbeitslos.",
        {"birth_date"},
        id="dob-jahrgang-keeps-other-year",
    ),
    pytest.param(
        "Ich bin am 14.07.1979 in Koblenz geboren.",
        f"Ich bin am {DOB} in Koblenz geboren.",
        {"birth_date"},
        id="dob-date-before-geboren",
    ),
    pytest.param(
        "Mein Sohn ist am 03.05.2015 geboren, der Kita-Platz fehlt.",
        f"Mein Sohn ist am {DOB} geboren, der Kita-Platz fehlt.",
        {"birth_date"},
        id="dob-of-a-child",
    ),
    pytest.param(
        "Geburtsdatum meiner Tochter: 03.05.2015, Antrag vom 01.02.2026.",
        f"Geburtsdatum meiner Tochter: {DOB}, Antrag vom 01.02.2026.",
        {"birth_date"},
        id="dob-of-a-child-keyword-first",
    ),
    pytest.param(
        "geb. 3.9.85 – bitte korrigieren",
        f"geb. {DOB} – bitte korrigieren",
        {"birth_date"},
        id="dob-short-year",
    ),
    pytest.param(
        "Mein Geburtstag ist am 14.07., da habe ich keine Zeit.",
        f"Mein Geburtstag ist am {DOB}, da habe ich keine Zeit.",
        {"birth_date"},
        id="dob-birthday-without-year",
    ),
    pytest.param(
        "I was born on 14/07/1979 and waited 2 hours.",
        f"I was born on {DOB} and waited 2 hours.",
        {"birth_date"},
        id="dob-english",
    ),
    pytest.param(
        "Doğum tarihim 14.07.1979, randevum 12.03.2026.",
        f"Doğum tarihim {DOB}, randevum 12.03.2026.",
        {"birth_date"},
        id="dob-turkish",
    ),
    pytest.param(
        "Дата рождения: 14.07.1979, жду ответа 3 недели.",
        f"Дата рождения: {DOB}, жду ответа 3 недели.",
        {"birth_date"},
        id="dob-russian",
    ),
    pytest.param(
        "Я народилася 14.07.1979 у Києві.",
        f"Я народилася {DOB} у Києві.",
        {"birth_date"},
        id="dob-ukrainian",
    ),
    pytest.param(
        "تاريخ الميلاد 14.07.1979",
        f"تاريخ الميلاد {DOB}",
        {"birth_date"},
        id="dob-arabic",
    ),
    pytest.param(
        "Ich bin 1979 geboren. Ich brauche Hilfe.",
        f"Ich bin {DOB} geboren. Ich brauche Hilfe.",
        {"birth_date"},
        id="dob-leichte-sprache-year",
    ),
    # --- Steuer-ID -------------------------------------------------------------------------
    pytest.param(
        "Meine Steuer-ID ist 36 574 261 809.",
        f"Meine Steuer-ID ist {TAX}.",
        {"tax_id"},
        id="tax-id-spaced",
    ),
    pytest.param(
        "Die Nummer 36574261809 stand im Brief vom 03.02.2026.",
        f"Die Nummer {TAX} stand im Brief vom 03.02.2026.",
        {"tax_id"},
        id="tax-id-valid-without-keyword",
    ),
    pytest.param(
        "Steueridentifikationsnummer: 36574261890 (vielleicht vertippt)",
        f"Steueridentifikationsnummer: {TAX} (vielleicht vertippt)",
        {"tax_id"},
        id="tax-id-named-with-typo",
    ),
    pytest.param(
        "My tax ID is 36 574 261 809, thank you.",
        f"My tax ID is {TAX}, thank you.",
        {"tax_id"},
        id="tax-id-english",
    ),
    # --- Rentenversicherungsnummer ---------------------------------------------------------
    pytest.param(
        "Rentenversicherungsnummer 65 170839 J 003, bitte prüfen.",
        f"Rentenversicherungsnummer {RV}, bitte prüfen.",
        {"insurance_number"},
        id="pension-number-spaced",
    ),
    pytest.param(
        "Meine SV-Nummer: 65170839J003.",
        f"Meine SV-Nummer: {RV}.",
        {"insurance_number"},
        id="pension-number-compact",
    ),
    pytest.param(
        "Nummer 15 070649 C 103 steht auf dem Ausweis der Rentenkasse.",
        f"Nummer {RV} steht auf dem Ausweis der Rentenkasse.",
        {"insurance_number"},
        id="pension-number-valid-without-keyword",
    ),
    pytest.param(
        "Versicherungsnummer 65 170839 J 004 (Tippfehler)",
        f"Versicherungsnummer {RV} (Tippfehler)",
        {"insurance_number"},
        id="pension-number-named-with-wrong-check-digit",
    ),
    pytest.param(
        "Номер страхования 65170839J003.",
        f"Номер страхования {RV}.",
        {"insurance_number"},
        id="pension-number-in-russian-text",
    ),
    # --- ID documents ----------------------------------------------------------------------
    pytest.param(
        "Mein Personalausweis hat die Nummer L01X00T47.",
        f"Mein Personalausweis hat die Nummer {ID}.",
        {"id_document"},
        id="id-card",
    ),
    pytest.param(
        "Reisepass Nr. C01X00T47, Aufenthaltstitel Y12345678",
        f"Reisepass Nr. {ID}, Aufenthaltstitel {ID}",
        {"id_document"},
        id="passport-and-residence-permit",
    ),
    pytest.param(
        "Ausweisnummer: T22000129 – die Kopie liegt Ihnen vor.",
        f"Ausweisnummer: {ID} – die Kopie liegt Ihnen vor.",
        {"id_document"},
        id="id-card-number-keyword",
    ),
    pytest.param(
        "My passport number is C01X00T47.",
        f"My passport number is {ID}.",
        {"id_document"},
        id="passport-english",
    ),
    pytest.param(
        "Pasaport numaram U12345678, kimlik no 12345678950.",
        f"Pasaport numaram {ID}, kimlik no {ID}.",
        {"id_document"},
        id="passport-turkish",
    ),
    pytest.param(
        "Паспорт FA1234567 лежит у вас.",
        f"Паспорт {ID} лежит у вас.",
        {"id_document"},
        id="passport-ukrainian",
    ),
    pytest.param(
        "رقم جواز السفر N12345678",
        f"رقم جواز السفر {ID}",
        {"id_document"},
        id="passport-arabic",
    ),
    # --- written-out e-mail ----------------------------------------------------------------
    pytest.param(
        "Schreiben Sie an max punkt muster at web punkt de",
        f"Schreiben Sie an {MAIL}",
        {"email"},
        id="email-spelled-out-words",
    ),
    pytest.param(
        "Mail: erika.muster (at) gmx.de oder erika[at]web[dot]de.",
        f"Mail: {MAIL} oder {MAIL}.",
        {"email"},
        id="email-brackets",
    ),
    pytest.param(
        "Antwort an name (ät) gmx.de bitte.",
        f"Antwort an {MAIL} bitte.",
        {"email"},
        id="email-umlaut-at",
    ),
    pytest.param(
        "Write to john dot smith at gmail dot com please.",
        f"Write to {MAIL} please.",
        {"email"},
        id="email-english-dot-words",
    ),
    # --- the writer's own name -------------------------------------------------------------
    pytest.param(
        "Mein Name ist Max Mustermann und ich warte seit Wochen.",
        f"Mein Name ist {NAME} und ich warte seit Wochen.",
        {"name"},
        id="name-mein-name-ist",
    ),
    pytest.param(
        "mein name ist max muster und ich bin sauer",
        f"mein name ist {NAME} und ich bin sauer",
        {"name"},
        id="name-lower-case",
    ),
    pytest.param("Ich heiße Ayşe Yılmaz.", f"Ich heiße {NAME}.", {"name"}, id="name-ich-heisse"),
    pytest.param(
        "Guten Tag, ich bin Frau Schmidt und warte seit 6 Wochen.",
        f"Guten Tag, ich bin Frau {NAME} und warte seit 6 Wochen.",
        {"name"},
        id="name-ich-bin-frau",
    ),
    pytest.param(
        "Ich bin Herr Dr. Müller-Lüdenscheidt und schreibe wegen Team 3.",
        f"Ich bin Herr {NAME} und schreibe wegen Team 3.",
        {"name"},
        id="name-with-title-next-to-team",
    ),
    pytest.param(
        "Danke!\nMit freundlichen Grüßen\nMax Mustermann",
        f"Danke!\nMit freundlichen Grüßen\n{NAME}",
        {"name"},
        id="sign-off-next-line",
    ),
    pytest.param(
        "Das war gut. Viele Grüße, Anna",
        f"Das war gut. Viele Grüße, {NAME}",
        {"name"},
        id="sign-off-same-line",
    ),
    pytest.param("Alles klar.\nLG Anna M.", f"Alles klar.\nLG {NAME}", {"name"}, id="sign-off-lg"),
    pytest.param("danke euch\nlg max", f"danke euch\nlg {NAME}", {"name"}, id="sign-off-lower"),
    pytest.param(
        "MfG Erika von der Heide\n", f"MfG {NAME}\n", {"name"}, id="sign-off-mfg-particles"
    ),
    pytest.param(
        "Mit freundlichen Grüßen, Ihre Anna Schmidt",
        f"Mit freundlichen Grüßen, Ihre {NAME}",
        {"name"},
        id="sign-off-ihre",
    ),
    pytest.param(
        "My name is John Smith, I waited 3 hours.",
        f"My name is {NAME}, I waited 3 hours.",
        {"name"},
        id="name-english",
    ),
    pytest.param(
        "Benim adım Ayşe Yılmaz, çok bekledim.",
        f"Benim adım {NAME}, çok bekledim.",
        {"name"},
        id="name-turkish",
    ),
    pytest.param("Меня зовут Ольга Петренко.", f"Меня зовут {NAME}.", {"name"}, id="name-russian"),
    pytest.param("Мене звати Олена Коваль.", f"Мене звати {NAME}.", {"name"}, id="name-ukrainian"),
    pytest.param(
        "اسمي أحمد محمد وانتظرت ساعتين", f"اسمي {NAME} وانتظرت ساعتين", {"name"}, id="name-arabic"
    ),
    pytest.param(
        "С уважением,\nОльга Петренко", f"С уважением,\n{NAME}", {"name"}, id="sign-off-russian"
    ),
    pytest.param(
        "Saygılarımla,\nAyşe Yılmaz", f"Saygılarımla,\n{NAME}", {"name"}, id="sign-off-turkish"
    ),
    pytest.param(
        "Ich heiße Peter. Ich bin am 14.07.1979 geboren.",
        f"Ich heiße {NAME}. Ich bin am {DOB} geboren.",
        {"name", "birth_date"},
        id="leichte-sprache-name-and-dob",
    ),
    # --- addresses as people write them ----------------------------------------------------
    pytest.param(
        "Ich wohne Hauptstr. 5 in Bad Ems.",
        f"Ich wohne {ADR} in Bad Ems.",
        {"address"},
        id="address-str-abbreviation",
    ),
    pytest.param(
        "Post an Hauptstr 5 bitte.", f"Post an {ADR} bitte.", {"address"}, id="address-str"
    ),
    pytest.param(
        "Neue Adresse: Lindenallee 4c, 56130 Bad Ems",
        f"Neue Adresse: {ADR}",
        {"address"},
        id="address-allee-letter-postcode",
    ),
    pytest.param(
        "Schillerplatz 3a und Am Ring 12, dazwischen Birkenweg 7 b.",
        f"{ADR} und {ADR}, dazwischen {ADR}.",
        {"address"},
        id="address-platz-ring-weg",
    ),
    pytest.param(
        "Ich bin nach Friedrich-Ebert-Ring 12 gezogen.",
        f"Ich bin nach {ADR} gezogen.",
        {"address"},
        id="address-ring-hyphenated",
    ),
    # --- everything at once ----------------------------------------------------------------
    pytest.param(
        "Mein Name ist Max Muster, geboren am 14.07.1979, Steuer-ID 36 574 261 809, "
        "Rentenversicherungsnummer 65 170839 J 003, Personalausweis L01X00T47, "
        "Mail max punkt muster at web punkt de. Frau Schneider in Team 3 war toll!\n"
        "Viele Grüße\nMax Muster",
        f"Mein Name ist {NAME}, geboren am {DOB}, Steuer-ID {TAX}, "
        f"Rentenversicherungsnummer {RV}, Personalausweis {ID}, "
        f"Mail {MAIL}. Frau Schneider in Team 3 war toll!\nViele Grüße\n{NAME}",
        {"name", "birth_date", "tax_id", "insurance_number", "id_document", "email"},
        id="everything",
    ),
]

STAYS = [
    pytest.param("Termin am 14.07.2026, Bescheid vom 03.09.2025.", id="appointment-and-letter"),
    pytest.param("Der Brief vom 14.07.1979 liegt mir noch vor.", id="old-letter-date"),
    pytest.param("Anna Müller geb. Schmidt, Termin am 14.07.2026.", id="maiden-name-then-date"),
    pytest.param("Seit 2019 im Bezug, Bewilligungszeitraum 2025/2026.", id="years"),
    pytest.param("Die Vorgangsnummer 36574261890 ist falsch.", id="eleven-digits-invalid"),
    pytest.param("Ich habe 12345678901 Gründe.", id="eleven-digits-invalid-count"),
    pytest.param("Code 65 170839 J 004 ohne Bezug.", id="pension-shape-wrong-check-digit"),
    pytest.param("Mein Personalausweis ist seit 2020 abgelaufen.", id="id-card-without-number"),
    pytest.param("Fehlercode C01X00T47 in der App.", id="code-without-id-keyword"),
    pytest.param("Ich habe meinen Reisepass am 03.02.2026 abgegeben.", id="passport-and-date"),
    pytest.param("I was at home all day.", id="english-at"),
    pytest.param("We met at the office punkt 9.", id="english-at-without-address"),
    pytest.param("Mein Name ist nicht wichtig.", id="name-not-given"),
    pytest.param("Mein Name ist Hase, ich weiß von nichts.", id="name-idiom"),
    pytest.param("Mein Name ist egal, es geht um die Wartezeit.", id="name-egal"),
    pytest.param("Ich heiße das nicht gut.", id="heissen-as-approve"),
    pytest.param("Frau Schneider aus Team 3 war sehr freundlich.", id="staff-praise"),
    pytest.param("Herr Dr. Weber hat abgesagt.", id="staff-cancelled"),
    pytest.param("Ich bin Frau Schneider aus Team 3 sehr dankbar.", id="staff-thanks-ich-bin"),
    pytest.param("Ich bin Frau und Mutter von 3 Kindern.", id="ich-bin-frau-no-name"),
    pytest.param("Viele Grüße an Frau Schneider aus Team 3!", id="greetings-to-staff"),
    pytest.param("Viele Grüße aus Koblenz", id="greetings-from-town"),
    pytest.param("Mit freundlichen Grüßen\nIhr Team 3", id="sign-off-team"),
    pytest.param("Klage beim VG Koblenz eingereicht.", id="vg-court"),
    pytest.param("Die Mitarbeiterin, Frau Schneider, hat mir am 14.07.2026 geholfen.", id="staff"),
    pytest.param("Warten 2 Stunden, 45 Minuten, 30 %, § 22 SGB II, 563 Euro.", id="numbers"),
    pytest.param("Raum 2.14, Wartenummer 47, Team 3, Etage 3.", id="rooms"),
    pytest.param("Ich stehe auf Platz 3 der Warteliste.", id="place-on-a-list"),
    pytest.param("Mein Kind ist 5 Jahre alt.", id="age"),
    pytest.param("Меня зовут в Jobcenter каждую неделю.", id="russian-no-name"),
    pytest.param("Ich bin 45 Jahre alt und seit 2019 arbeitslos.", id="age-and-year"),
]


@pytest.mark.parametrize(("text", "expected", "kinds"), GOES)
def test_masks_what_identifies_the_writer(text: str, expected: str, kinds: set[str]) -> None:
    result = mask_personal_data(text)
    assert result.text == expected
    assert result.kinds == kinds


@pytest.mark.parametrize("text", STAYS)
def test_keeps_what_the_officer_needs(text: str) -> None:
    result = mask_personal_data(text)
    assert result.text == text
    assert not result.masked


@pytest.mark.parametrize(("text", "expected", "kinds"), GOES)
def test_masking_again_changes_nothing(text: str, expected: str, kinds: set[str]) -> None:
    masked = mask_personal_data(text).text
    assert mask_personal_data(masked).text == masked
    assert find_personal_data(masked) == ()


def test_the_corpus_is_large_enough() -> None:
    assert len(GOES) + len(STAYS) >= 60


def test_a_known_name_is_masked_with_its_parts() -> None:
    text = "Erika Mustermann hier. Danke an Frau Schneider! Gruß, erika"
    result = mask_personal_data(text, names=["Erika Mustermann"])
    assert result.text == f"{NAME} hier. Danke an Frau Schneider! Gruß, {NAME}"
    assert result.kinds == {"name"}
    assert mask_personal_data("Mustermann war da", names=[""]).text == "Mustermann war da"


def test_find_personal_data_names_the_kinds_in_order_and_masks_nothing() -> None:
    note = "Rückruf bei der Kundin, geb. 14.07.1979, Tel. 0261 123456."
    assert find_personal_data(note) == ("phone", "birth_date")
    assert describe_kinds(find_personal_data(note)) == "Telefonnummer, Geburtsdatum"
    assert find_personal_data("Rückruf am Montag, Frau Schneider informiert.") == ()


def test_every_kind_has_a_placeholder_and_a_label() -> None:
    assert set(PLACEHOLDERS) == set(LABELS) == set(KINDS)
    assert LABELS["tax_id"] == "Steuer-ID"
    assert LABELS["insurance_number"] == "Versicherungsnummer"
    for placeholder in PLACEHOLDERS.values():
        assert not any(char.isdigit() or char == "@" for char in placeholder)


@pytest.mark.parametrize(
    ("number", "check"),
    [("65170839J00", 3), ("15070649C10", 3)],
)
def test_the_pension_check_digit(number: str, check: int) -> None:
    assert _pension_check_digit(number[:2], number[2:8], number[8], number[9:11]) == check


def test_long_text_with_every_kind() -> None:
    chunk = (
        "Termin am 12.03.2026, Team 3, 563 Euro. Geb. 14.07.1979, Steuer-ID 36574261809, "
        "RV-Nummer 65 170839 J 003, Ausweis L01X00T47, max (at) web.de, Hauptstr. 5. "
    )
    text = chunk * 15 + "\nMit freundlichen Grüßen\nMax Muster"
    result = mask_personal_data(text)
    for datum in ("1979", "36574261809", "170839", "L01X00T47", "web.de", "Hauptstr", "Max"):
        assert datum not in result.text
    assert result.text.count("12.03.2026") == 15 and result.text.count("Team 3") == 15


BEFORE = "Die Begründung wurde abgegeben, Kunden warten, das Amt hat zu. " * 3 + "\n"
AFTER = "\nDie Grünfläche am Eingang ist schön, der Abgabetermin war gestern. " * 3


@pytest.mark.parametrize(("text", "expected", "kinds"), GOES)
def test_the_same_is_found_inside_a_long_text(text: str, expected: str, kinds: set[str]) -> None:
    """Keywords of other kinds nearby ("abgegeben", "Grün…") change nothing."""
    result = mask_personal_data(BEFORE + text + AFTER)
    assert result.text == BEFORE + expected + AFTER
    assert result.kinds == kinds
