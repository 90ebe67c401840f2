"""Masking personal data (``portal.privacy.mask_personal_data``) in 2,000-character texts.

``BENCH_PRIVACY_TEXTS`` texts (default 20) of 2,000 characters each are put together from
realistic feedback sentences with a fixed seed: half of them hold no personal data at all (the
common case: complaints and praise with dates, amounts, room numbers and staff names), the other
half two to five identifiers among them (phone numbers, addresses, birth dates, tax IDs, pension
insurance and ID card numbers, written-out e-mail addresses, introductions and sign-offs), a few
in Turkish, Russian or Arabic. Each text is masked once to warm up and then ``BENCH_PRIVACY_RUNS``
times (default 200), in one process. The goal (under 1 ms on average) is checked against the mean
CPU time of one masking (``time.process_time``): masking is single-threaded work that never waits
for I/O, so on an idle core its CPU time is its wall-clock time, while on this shared machine the
wall clock mostly counts the time the process waits for a core. The mean wall-clock time is given
beside it, together with the load average at the end of the run.
"""

from __future__ import annotations

import os
import random
import statistics
import time

from bench.common import Figure, Section, size
from portal.privacy import mask_personal_data

LENGTH = 2000
PLAIN = (
    "Seit 6 Wochen warte ich auf den Bescheid vom 12.03.2026 über 563 Euro.",
    "Frau Schneider aus Team 3 war sehr freundlich und hat sich Zeit genommen.",
    "Der Termin am 14.04.2026 um 9:30 Uhr in Zimmer 112 fiel einfach aus.",
    "Laut § 22 SGB II steht mir die Nachzahlung zu, das sind 30 % mehr.",
    "Die Wartezeit im Wartebereich war mit 2 Stunden viel zu lang.",
    "Herr Dr. Weber hat abgesagt, ohne Bescheid zu geben.",
    "Am Telefon bin ich 45 Minuten in der Warteschleife gewesen, Wartenummer 47.",
    "Bitte mehr Sitzplätze und eine Ladestation für Handys im Eingangsbereich.",
    "Mein Widerspruch vom 5.1.26 wurde am 20.2.26 abgelehnt, ohne Begründung.",
    "Die Linie 12 fährt nur alle 20 Minuten, das Jobcenter ist schwer erreichbar.",
    "Im Jahr 2019 bekam ich 432 Euro, heute 563 Euro, aber die Miete stieg um 120 Euro.",
    "Vielen Dank an das ganze Team 5 für die schnelle Hilfe beim Weiterbewilligungsantrag!",
)
PERSONAL = (
    "Mein Name ist Jana Beispiel und ich bin alleinerziehend.",
    "Ich bin am 14.07.1979 geboren und seit 2019 arbeitslos.",
    "Meine Steuer-ID ist 36 574 261 809, falls Sie die brauchen.",
    "Rentenversicherungsnummer 65 170839 J 003 steht im Brief.",
    "Mein Personalausweis hat die Nummer L01X00T47.",
    "Rückruf bitte unter 0151 23456789, am besten vormittags.",
    "Ich wohne in der Hauptstr. 5, 56130 Bad Ems.",
    "Schreiben Sie mir an jana punkt beispiel at web punkt de.",
    "Kundennummer 123A456789, BG 12345BG0012345.",
    "Benim adım Ayşe Yılmaz, doğum tarihim 14.07.1979.",
    "Меня зовут Ольга Петренко, дата рождения 14.07.1979.",
    "اسمي أحمد محمد ورقمي 0176 12345678",
)
SIGN_OFF = "\nMit freundlichen Grüßen\nJana Beispiel"


def corpus(count: int, seed: int = 17) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for number in range(count):
        personal = rng.sample(PERSONAL, rng.randint(2, 5)) if number % 2 else []
        sentences: list[str] = []
        while sum(len(s) + 1 for s in sentences) < LENGTH:
            sentences.append(rng.choice(PLAIN))
        for sentence in personal:
            sentences.insert(rng.randrange(len(sentences)), sentence)
        text = " ".join(sentences)
        ending = SIGN_OFF if personal else ""
        texts.append(text[: LENGTH - len(ending)] + ending)
    return texts


def measure(text: str, runs: int) -> tuple[float, float]:
    """Mean wall-clock and CPU milliseconds of one masking of ``text``."""
    mask_personal_data(text)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(runs):
        mask_personal_data(text)
    return (
        (time.perf_counter() - wall) * 1000 / runs,
        (time.process_time() - cpu) * 1000 / runs,
    )


def run() -> Section:
    texts = corpus(size("BENCH_PRIVACY_TEXTS", 20))
    runs = size("BENCH_PRIVACY_RUNS", 200)
    results = [measure(text, runs) for text in texts]
    wall = [w for w, _ in results]
    cpu = [c for _, c in results]
    has_data = [mask_personal_data(text).masked for text in texts]
    figures = [
        Figure(
            "masking 2,000 characters: mean CPU time",
            statistics.mean(cpu),
            "ms",
            goal=1.0,
            digits=2,
        ),
        Figure(
            "masking 2,000 characters: mean wall-clock time", statistics.mean(wall), "ms", digits=2
        ),
    ]
    details = [
        f"{len(texts)} texts of {LENGTH:,} characters, {sum(has_data)} with personal data, "
        f"{runs} maskings each; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.",
        f"Mean CPU time per text without personal data {_mean(cpu, has_data, False):.2f} ms, "
        f"with personal data {_mean(cpu, has_data, True):.2f} ms, slowest text "
        f"{max(cpu):.2f} ms (wall clock: {_mean(wall, has_data, False):.2f} ms, "
        f"{_mean(wall, has_data, True):.2f} ms, {max(wall):.2f} ms).",
    ]
    return Section("Privacy", figures, details)


def _mean(values: list[float], flags: list[bool], flag: bool) -> float:
    return statistics.mean(v for v, f in zip(values, flags, strict=True) if f is flag)
