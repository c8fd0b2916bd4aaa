"""Generate the large site of the benchmarks: content in the real content model plus a snapshot.

The default scale is the one of the quality budgets (DESIGN.md): 3 consultations (open, closed,
upcoming), 60 texts, 20,000 approved comments and 1,500 proposals; ``make bench-scale`` asks for
ten times that (30 consultations, 600 texts). Everything comes from a seeded random generator, so
the same seed and "now" give the same files byte for byte.

- The states cycle open, closed, upcoming (30 consultations: 10 of each). The first three have
  fixed names; the others get names from ``TOPICS`` and ``PLACES`` (Greek titles, ELOT 743 slugs)
  that use no randomness, so the first three come out the same whatever the count.
- One text of the first open consultation carries exactly ``budget_comments`` comments (the page
  of the "50 comments ≤ 30 KB" budget); the others get uneven, log-normal shares, so one page is
  heaviest. Upcoming consultations get no comments (nobody can comment before one opens).
- About a tenth of the comments are on proposals; the rest are on texts: on the whole text, on a
  paragraph (explicit ``{#ids}`` only, which need no hashing to know) or replies to an earlier
  comment on the same target.

The baselines of the same pages (plain Pelican, Hugo) are in scripts/bench_baseline.py.

    python scripts/gen_large_site.py build/large --seed 7
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.spec import limits

ROOT = Path(__file__).resolve().parent.parent

ATHENS = ZoneInfo("Europe/Athens")
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
STATES = ("open", "closed", "upcoming")
# Every generated decision is at least this old: the site's earlier decisions went out with
# earlier publishes, so a bench publish after new approvals exports what changed and not, as
# well, the thousands that a clamp to "now" put inside the export's margin (snapshot_delta).
DECIDED_BEFORE = timedelta(minutes=30)
EXPLICIT_IDS = ("eisagogi", "stochos", "proypologismos", "chronodiagramma", "topothesia", "ofeli")

CONSULTATIONS = (
    ("prasino-kai-poli", "Πράσινο και πόλη", "Περιβάλλον και Ποιότητα Ζωής"),
    ("topiki-oikonomia", "Τοπική οικονομία και απασχόληση", "Τοπική Οικονομία & Απασχόληση"),
    ("koinoniki-politiki", "Κοινωνική πολιτική και πολιτισμός", "Κοινωνική Πολιτική & Πολιτισμός"),
)
# The consultations after the first three: a topic, then the topic in a neighbourhood.
# fmt: off
TOPICS = (
    ("kykloforia-kai-stathmefsi", "Κυκλοφορία και στάθμευση", "Συγκοινωνίες & Κυκλοφορία"),
    ("scholika-ktiria", "Σχολικά κτίρια", "Παιδεία"),
    ("athlitikes-egkatastaseis", "Αθλητικές εγκαταστάσεις", "Αθλητισμός"),
    ("politiki-prostasia", "Πολιτική προστασία", "Πολιτική Προστασία"),
    ("dimotika-koimitiria", "Δημοτικά κοιμητήρια", "Τεχνικές Υπηρεσίες"),
    ("psifiakes-ypiresies", "Ψηφιακές υπηρεσίες του Δήμου", "Ψηφιακός Μετασχηματισμός"),
    ("kathariotita", "Καθαριότητα και αποκομιδή", "Περιβάλλον και Ποιότητα Ζωής"),
    ("politistika-dromena", "Πολιτιστικά δρώμενα", "Κοινωνική Πολιτική & Πολιτισμός"),
    ("ygeia-kai-prolipsi", "Υγεία και πρόληψη", "Κοινωνική Πολιτική & Πολιτισμός"),
    ("energeiaki-anavathmisi", "Ενεργειακή αναβάθμιση κτιρίων", "Περιβάλλον και Ποιότητα Ζωής"),
)
PLACES = (("ano-nea-smyrni", "Άνω Νέα Σμύρνη"), ("agios-sostis", "Άγιος Σώστης"),
          ("amfithea", "Αμφιθέα"), ("kentro", "Κέντρο"), ("estia", "Εστία"))
SUBJECTS = (
    ("anaplasi-platias", "Ανάπλαση της πλατείας"), ("podilatodromos", "Ποδηλατόδρομος στη λεωφόρο"),
    ("paidiki-chara", "Νέα παιδική χαρά"), ("fotismos-led", "Φωτισμός LED στις γειτονιές"),
    ("anakyklosi", "Διαλογή στην πηγή και ανακύκλωση"),
    ("dentrofyteysi", "Δεντροφύτευση στα πεζοδρόμια"), ("kentro-neon", "Κέντρο νεότητας"),
    ("agora-paragogon", "Λαϊκή αγορά παραγωγών"), ("prosvasimoi-dromoi", "Προσβάσιμα πεζοδρόμια"),
    ("dimotiki-vivliothiki", "Εκσυγχρονισμός της δημοτικής βιβλιοθήκης"),
)
# fmt: on
SENTENCES = (
    "Η παρέμβαση αφορά τον κεντρικό χώρο της γειτονιάς, που σήμερα χρησιμοποιείται ελάχιστα.",
    "Προτείνεται η αντικατάσταση των φθαρμένων πλακοστρώσεων με υλικά υψηλής ανακλαστικότητας.",
    "Ο σχεδιασμός λαμβάνει υπόψη τις ανάγκες των ατόμων με αναπηρία και των ηλικιωμένων.",
    "Η χρηματοδότηση προέρχεται από το Πρόγραμμα Δημοσίων Επενδύσεων και ίδιους πόρους.",
    "Οι εργασίες θα γίνουν σε φάσεις, ώστε να μη διακοπεί η κυκλοφορία των πεζών.",
    "Θα φυτευτούν είδη της μεσογειακής χλωρίδας που αντέχουν στην ξηρασία.",
    "Η συντήρηση του έργου αναλαμβάνεται από τη Διεύθυνση Πρασίνου του Δήμου.",
    "Στόχος είναι η μείωση της θερμοκρασίας κατά τους καλοκαιρινούς μήνες.",
    "Προβλέπονται νέα καθιστικά, βρύσες πόσιμου νερού και σκίαστρα.",
    "Η πρόταση βασίζεται σε μελέτη κυκλοφορίας που εκπονήθηκε το προηγούμενο έτος.",
    "Οι κάτοικοι της περιοχής θα ενημερωθούν με ανοιχτές συναντήσεις στο δημοτικό κατάστημα.",
    "Η δράση εντάσσεται στο Επιχειρησιακό Πρόγραμμα του Δήμου για την περίοδο 2024–2028.",
    "Ιδιαίτερη μέριμνα δίνεται στην ασφάλεια των παιδιών κοντά στα σχολεία.",
    "Το κόστος λειτουργίας εκτιμάται χαμηλό χάρη στη χρήση φωτοβολταϊκών.",
    "Η τοπική αγορά αναμένεται να ωφεληθεί από την αύξηση της κίνησης των πεζών.",
    "Οι θέσεις στάθμευσης που καταργούνται αντισταθμίζονται σε παρακείμενο οικόπεδο.",
)
COMMENT_SENTENCES = (
    "Συμφωνώ με την πρόταση, αλλά θα ήθελα περισσότερο πράσινο.",
    "Η γειτονιά μας το χρειάζεται εδώ και χρόνια.",
    "Ανησυχώ για τον θόρυβο κατά τη διάρκεια των εργασιών.",
    "Πόσο θα διαρκέσουν οι εργασίες και πώς θα ενημερωθούμε;",
    "Προτείνω να προβλεφθούν και θέσεις στάθμευσης ποδηλάτων.",
    "Το κόστος μου φαίνεται υψηλό σε σχέση με το όφελος.",
    "Θα ήταν καλό να ληφθεί υπόψη η γνώμη των σχολείων της περιοχής.",
    "Οι ράμπες για αμαξίδια πρέπει να είναι στις προδιαγραφές.",
    "Χρειάζεται καλύτερος φωτισμός το βράδυ για να είναι ασφαλής ο χώρος.",
    "Ευχαριστούμε για τη διαβούλευση· ελπίζουμε να εισακουστούμε.",
    "Ο σύλλογός μας προτείνει να συμμετέχουν οι κάτοικοι στη συντήρηση.",
    "Τα δέντρα που υπάρχουν σήμερα πρέπει να διατηρηθούν.",
)
# fmt: off
NAMES = ("Μαρία Παπαδοπούλου", "Γιώργος Νικολάου", "Ελένη Κωνσταντίνου", "Νίκος Αλεξίου",
         "Κατερίνα Δημητρίου", "Δημήτρης Σταύρου", "Σοφία Ιωάννου", "Ανδρέας Μιχαήλ")
ORGANISATIONS = (("Σύλλογος Κατοίκων Άνω Νέας Σμύρνης", "association"),
                 ("Εμπορικός Σύλλογος Νέας Σμύρνης", "business"),
                 ("Σωματείο Εργαζομένων Δήμου", "union"), ("Ομάδα Εθελοντών Πρασίνου", "ngo"))
# fmt: on


@dataclass
class LargeSite:
    """What was generated, for the benchmarks and the tests."""

    root: Path
    snapshot_path: Path
    now: datetime
    states: dict[str, str] = field(default_factory=dict)  # consultation -> open/closed/upcoming
    texts: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # -> explicit ids
    budget_text: tuple[str, str] = ("", "")
    comments_per_text: dict[tuple[str, str], int] = field(default_factory=dict)
    comments_count: int = 0
    proposals_count: int = 0

    @property
    def heaviest_text(self) -> tuple[str, str]:
        return max(self.comments_per_text, key=lambda key: self.comments_per_text[key])

    @property
    def open_consultation(self) -> str | None:
        return next((slug for slug, state in self.states.items() if state == "open"), None)


def consultation_entry(n: int) -> tuple[str, str, str]:
    """(slug, title, theme) of the ``n``-th consultation (from 0); distinct for every ``n``."""
    if n < len(CONSULTATIONS):
        return CONSULTATIONS[n]
    j = n - len(CONSULTATIONS)
    slug, title, theme = TOPICS[j % len(TOPICS)]
    rounds = j // len(TOPICS)
    if rounds == 0:
        return slug, title, theme
    place_slug, place = PLACES[(rounds - 1) % len(PLACES)]
    cycle = (rounds - 1) // len(PLACES)
    suffix = (f"-{cycle + 1}", f" ({cycle + 1})") if cycle else ("", "")
    return f"{slug}-{place_slug}{suffix[0]}", f"{title}: {place}{suffix[1]}", theme


class _Ids:
    """ULID-like ids (time-ordered) and unique references, from the seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.references: set[str] = set()

    def new_id(self, at: datetime) -> str:
        ms = int(at.timestamp() * 1000)
        head = "".join(CROCKFORD[(ms >> (5 * i)) & 31] for i in reversed(range(10)))
        return head + "".join(self.rng.choice(CROCKFORD) for _ in range(16))

    def reference(self) -> str:
        while True:
            ref = "NS-" + "".join(self.rng.choice(CROCKFORD) for _ in range(6)).upper()
            if ref not in self.references:
                self.references.add(ref)
                return ref


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _window(state: str, now: datetime) -> tuple[datetime, datetime]:
    """Opens/closes so that the consultation is in ``state`` at ``now``."""
    day = now.astimezone(ATHENS).replace(hour=9, minute=0, second=0, microsecond=0)
    offsets = {"open": (-30, 30), "closed": (-120, -60), "upcoming": (30, 90)}[state]
    return day + timedelta(days=offsets[0]), day + timedelta(days=offsets[1])


def _paragraph(rng: random.Random, pool: tuple[str, ...], low: int, high: int) -> str:
    return " ".join(rng.sample(pool, rng.randint(low, high)))


def _text_body(rng: random.Random, explicit: list[str]) -> str:
    """Several paragraphs (the first ones carrying the explicit ids) and one list."""
    blocks = [f"{_paragraph(rng, SENTENCES, 3, 6)} {{#{pid}}}" for pid in explicit]
    blocks += [_paragraph(rng, SENTENCES, 2, 5) for _ in range(rng.randint(2, 4))]
    items = "\n".join(f"- {rng.choice(SENTENCES)}" for _ in range(rng.randint(2, 4)))
    blocks.insert(len(explicit), items)
    return "\n\n".join(blocks) + "\n"


def _author(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.15:
        name, kind = rng.choice(ORGANISATIONS)
        return {"respondent_type": "organisation", "display_name": rng.choice(NAMES),
                "organisation_name": name, "organisation_type": kind}  # fmt: skip
    shown = rng.random() < 0.7
    return {"respondent_type": "citizen", "display_name": rng.choice(NAMES) if shown else None,
            "organisation_name": None, "organisation_type": None}  # fmt: skip


def _shares(rng: random.Random, total: int, count: int, budget: int) -> list[int]:
    """``total`` split into ``count`` uneven (log-normal) shares; when ``total`` allows, the
    largest is above ``budget`` and no other equals it (one page at the budget, one heaviest)."""
    if count == 0:
        if total:
            raise ValueError("comments left over but no text to put them on")
        return []
    weights = [rng.lognormvariate(0, 0.9) for _ in range(count)]
    scale = total / sum(weights)
    shares = [int(w * scale) for w in weights]
    for i in range(total - sum(shares)):
        shares[i % count] += 1
    top = shares.index(max(shares))
    for i in range(count):
        moved = 0 if i == top else min(shares[i], max(0, budget + 1 - shares[top]))
        shares[i], shares[top] = shares[i] - moved, shares[top] + moved
        if i != top and shares[i] == budget:
            shares[i], shares[top] = shares[i] - 1, shares[top] + 1
    return shares


def spread_before(
    rng: random.Random, start: datetime, moment: datetime, limit: datetime
) -> datetime:
    """``moment``, or if it is past ``limit`` a moment between ``start`` and ``limit``: a clamp
    to ``limit`` itself would put thousands of decisions on one instant, a burst no moderator
    makes, which every export's margin around its mark reads again."""
    if moment <= limit:
        return moment
    return start + (max(limit, start) - start) * rng.random()


def _comments_on(
    rng: random.Random, ids: _Ids, n: int, target: dict[str, Any], explicit: list[str], span: tuple
) -> list[dict[str, Any]]:
    """``n`` comments on one target: whole-target, on a paragraph, or replies (same target);
    created between ``span[0]`` and ``span[1]``."""
    start, end = span
    seconds = max((end - start).total_seconds(), 0.0)
    times = sorted(start + timedelta(seconds=rng.uniform(0, seconds)) for _ in range(n))
    made: list[dict[str, Any]] = []
    for at in times:
        roll = rng.random()
        parent = rng.choice(made) if made and roll < 0.2 else None
        if parent is not None:
            paragraph = parent["paragraph"]
        else:
            paragraph = rng.choice(explicit) if explicit and roll < 0.55 else None
        approved = at + timedelta(hours=rng.uniform(1, 48))
        made.append(
            {
                "id": ids.new_id(at),
                "reference": ids.reference(),
                **target,
                "paragraph": paragraph,
                "parent": parent["id"] if parent else None,
                "author": _author(rng),
                "body": _paragraph(rng, COMMENT_SENTENCES, 1, 4),
                "created_at": _utc(at),
                "approved_at": _utc(spread_before(rng, at, approved, end)),
            }
        )
    return made


def _write_consultation(folder: Path, rng: random.Random, entry: tuple, window: tuple, order: int):
    slug, title, theme = entry
    folder.mkdir(parents=True, exist_ok=True)
    fmt = "%Y-%m-%d %H:%M"
    (folder / "index.md").write_text(
        f"Title: {title}\nSlug: {slug}\nSummary: {_paragraph(rng, SENTENCES, 1, 2)}\n"
        f"Theme: {theme}\nOpens: {window[0].strftime(fmt)}\nCloses: {window[1].strftime(fmt)}\n"
        f"Order: {order}\nContact: Τμήμα Διαβούλευσης, τηλ. 213 2025 800\n\n"
        f"{_paragraph(rng, SENTENCES, 3, 5)}\n",
        encoding="utf-8",
    )


def generate(
    dest: Path,
    *,
    consultations: int = 3,
    texts_per_consultation: int = 20,
    comments: int = 20_000,
    proposals: int = 1_500,
    budget_comments: int = 50,
    seed: int = 7,
    now: datetime | None = None,
) -> LargeSite:
    """Write ``dest/content`` (+ the repo's pages) and ``dest/snapshot.json``; validate it."""
    if consultations < 1:
        raise ValueError("consultations must be at least 1")
    entries = [consultation_entry(n) for n in range(consultations)]
    if len({slug for slug, *_ in entries}) != consultations:
        raise ValueError("two consultations would share a slug")  # pragma: no cover
    rng, now = random.Random(seed), (now or datetime.now(UTC))
    decided = now - DECIDED_BEFORE
    ids, kinds = _Ids(rng), list(limits()["text_kinds"])
    site = LargeSite(root=dest, snapshot_path=dest / "snapshot.json", now=now)
    content = dest / "content"
    if (ROOT / "content" / "pages").is_dir():
        shutil.copytree(ROOT / "content" / "pages", content / "pages", dirs_exist_ok=True)
    windows: dict[str, tuple[datetime, datetime]] = {}
    for n, entry in enumerate(entries):
        slug = entry[0]
        site.states[slug] = STATES[n % len(STATES)]
        windows[slug] = _window(site.states[slug], now)
        folder = content / "consultations" / slug
        _write_consultation(folder, rng, entry, windows[slug], n + 1)
        for i in range(texts_per_consultation):
            subject_slug, subject = SUBJECTS[i % len(SUBJECTS)]
            text_slug, explicit = f"{subject_slug}-{i + 1}", rng.sample(EXPLICIT_IDS, 3)
            kind = kinds[i % len(kinds)]
            meta = f"Title: {subject} {i + 1}\nSlug: {text_slug}\nKind: {kind}\nOrder: {i + 1}\n"
            if kind == "project":
                meta += f"Budget: {rng.randrange(20, 900) * 1000}\n"
            meta += "Location: Νέα Σμύρνη\nDepartment: Διεύθυνση Τεχνικών Υπηρεσιών\n\n"
            (folder / f"{text_slug}.md").write_text(meta + _text_body(rng, explicit), "utf-8")
            site.texts[(slug, text_slug)] = explicit

    live = [s for s, state in site.states.items() if state != "upcoming"]
    proposal_comments = comments // 10 if proposals and live else 0
    budget = next(((c, t) for (c, t) in site.texts if site.states[c] == "open"), None)
    if budget is None or comments - proposal_comments < budget_comments:
        raise ValueError("the budget text needs an open consultation and enough comments")
    site.budget_text = budget
    others = [key for key in site.texts if key[0] in live and key != budget]
    shares = _shares(
        rng, comments - proposal_comments - budget_comments, len(others), budget_comments
    )
    site.comments_per_text = {key: 0 for key in site.texts} | {budget: budget_comments}
    site.comments_per_text |= dict(zip(others, shares, strict=True))

    all_comments: list[dict[str, Any]] = []
    for (c, t), n in site.comments_per_text.items():
        target = {"consultation": c, "text": t, "proposal": None}
        opens, closes = windows[c]
        end = min(closes, decided)
        all_comments += _comments_on(rng, ids, n, target, site.texts[(c, t)], (opens, end))

    all_proposals: list[dict[str, Any]] = []
    for i in range(proposals if live else 0):
        c = live[i % len(live)]
        opens, closes = windows[c]
        at = opens + (min(closes, decided) - opens) * rng.random()
        all_proposals.append({
            "id": ids.new_id(at), "reference": ids.reference(), "consultation": c,
            "title": f"Πρόταση {i + 1}: {rng.choice(SUBJECTS)[1]}",
            "body": "\n\n".join(_paragraph(rng, SENTENCES, 2, 4) for _ in range(2)),
            "location": rng.choice(("Πλατεία Νέας Σμύρνης", "Άλσος", None)), "author": _author(rng),
            "created_at": _utc(at),
            "approved_at": _utc(spread_before(rng, at, at + timedelta(hours=6), decided)),
        })  # fmt: skip
    commented = rng.sample(all_proposals, min(len(all_proposals), max(1, proposals // 5)))
    per_proposal = _shares(rng, proposal_comments, len(commented) if proposal_comments else 0, -1)
    for proposal, n in zip(commented, per_proposal, strict=False):
        target = {"consultation": proposal["consultation"], "text": None,
                  "proposal": proposal["id"]}  # fmt: skip
        start = datetime.fromisoformat(proposal["approved_at"])
        end = min(windows[proposal["consultation"]][1], decided)
        all_comments += _comments_on(rng, ids, n, target, [], (start, max(end, start)))

    site.comments_count, site.proposals_count = len(all_comments), len(all_proposals)
    snapshot = {"schema_version": 1, "generated_at": _utc(now), "comments": all_comments,
                "proposals": all_proposals}  # fmt: skip
    validate_snapshot(snapshot)
    site.snapshot_path.write_text(json.dumps(snapshot, ensure_ascii=False), encoding="utf-8")
    return site


def validate_snapshot(snapshot: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless ``snapshot`` follows snapshot.schema.json (the
    build's own compiled validator: 215,000 entries in seconds, not minutes)."""
    from chalicelib import snapshot as snapshots

    snapshots.validate(snapshot)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--consultations", type=int, default=3)
    parser.add_argument("--comments", type=int, default=20_000)
    parser.add_argument("--proposals", type=int, default=1_500)
    parser.add_argument("--baseline", type=Path, default=None, help="also write the baseline here")
    args = parser.parse_args(argv)
    site = generate(args.dest, seed=args.seed, consultations=args.consultations,
                    comments=args.comments, proposals=args.proposals)  # fmt: skip
    print(f"{site.comments_count} comments, {site.proposals_count} proposals in {args.dest}")
    if args.baseline:
        from scripts.bench_baseline import write_baseline

        print(f"baseline: {write_baseline(site, args.baseline)} articles in {args.baseline}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
