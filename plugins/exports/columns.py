"""The open data's columns: one allowlist, with the Greek header and description of each.

The CSV's header, the XLSX's Greek headers, the JSON's keys and the data package's Table Schema
all come from these tuples: whatever the snapshot grows, only these columns leave the building,
and every column that leaves is described. A code column (``respondent_type``) is followed by
its Greek label (``respondent_type_label``), read from limits.json. A campaign's near-identical
submissions are all rows, each with its ``group``: the site shows a group once, the data keep
every member.
"""

from dataclasses import dataclass
from functools import cache

from chalicelib.spec import limits


@dataclass(frozen=True)
class Column:
    name: str  # the CSV header and JSON key (Table Schema field name)
    title: str  # the Greek header (XLSX) and the field's title
    description: str
    type: str = "string"  # Table Schema type: string, datetime, integer
    enum: tuple[str, ...] | None = None  # the codes a code column may hold

    def field(self) -> dict[str, object]:
        """The Table Schema field of this column."""
        spec: dict[str, object] = {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "type": self.type,
        }
        if self.enum is not None:
            spec["constraints"] = {"enum": list(self.enum)}
        return spec


# The kinds of record, in the export's own words (limits.json has no label for them).
KINDS = {"comment": "Σχόλιο", "proposal": "Πρόταση"}
CODE = " (κωδικός)"


def _coded(name: str, title: str, what: str, codes: dict[str, str]) -> tuple[Column, Column]:
    """A code column and, beside it, its Greek label."""
    return (
        Column(name, title + CODE, f"{what}: ο κωδικός.", enum=tuple(codes)),
        Column(f"{name}_label", title, f"{what}: η ελληνική ετικέτα του κωδικού."),
    )


def _columns() -> dict[str, Column | tuple[Column, Column]]:
    spec = limits()
    return {
        "kind": _coded("kind", "Είδος εγγραφής", "Σχόλιο ή πρόταση", KINDS),
        "id": Column("id", "Αναγνωριστικό", "Το μόνιμο αναγνωριστικό της εγγραφής."),
        "reference": Column("reference", "Αριθμός αναφοράς", "Ο αριθμός που έλαβε ο συντάκτης."),
        "consultation": Column(
            "consultation", "Διαβούλευση" + CODE, "Ο κωδικός (slug) της διαβούλευσης."
        ),
        "consultation_title": Column(
            "consultation_title", "Διαβούλευση", "Ο τίτλος της διαβούλευσης."
        ),
        "text": Column(
            "text", "Κείμενο" + CODE, "Το κείμενο που σχολιάζεται (κενό: σχόλιο σε πρόταση)."
        ),
        "text_title": Column("text_title", "Κείμενο", "Ο τίτλος του κειμένου που σχολιάζεται."),
        "paragraph": Column(
            "paragraph",
            "Παράγραφος" + CODE,
            "Η παράγραφος που σχολιάζεται (κενό: όλο το κείμενο).",
        ),
        "proposal": Column(
            "proposal", "Πρόταση (αναγνωριστικό)", "Η πρόταση που σχολιάζεται (κενό: σε κείμενο)."
        ),
        "parent": Column(
            "parent", "Απάντηση στο σχόλιο", "Το αναγνωριστικό του σχολίου στο οποίο απαντά."
        ),
        "title": Column("title", "Τίτλος πρότασης", "Ο τίτλος της πρότασης."),
        "body": Column("body", "Κείμενο υποβολής", "Το κείμενο του σχολίου ή της πρότασης."),
        "location": Column("location", "Τοποθεσία", "Η τοποθεσία ή γειτονιά της πρότασης."),
        "group": Column(
            "group",
            "Ομάδα ίδιου ή σχεδόν ίδιου κειμένου",
            "Το αναγνωριστικό της ομάδας σχεδόν ίδιων υποβολών (π.χ. η ίδια επιστολή από "
            "πολλούς σε μια εκστρατεία) στην οποία ανήκει η εγγραφή (κενό: σε καμία ομάδα). "
            "Μια ομάδα είναι σχόλια του ίδιου κειμένου ή της ίδιας πρότασης, ή προτάσεις της "
            "ίδιας διαβούλευσης· οι απαντήσεις σε σχόλια δεν ανήκουν ποτέ σε ομάδα. Κάθε μέλος "
            "έχει δική του γραμμή. Μια ομάδα μπορεί να έχει και μία μόνο δημοσιευμένη "
            "εγγραφή, και το αναγνωριστικό της αλλάζει αν ενωθεί με άλλη ή χωριστεί.",
        ),
        "supports": Column(
            "supports",
            "Υποστηρίζουν",
            "Πόσοι επιβεβαίωσαν με το ηλεκτρονικό τους ταχυδρομείο ότι υποστηρίζουν την "
            "υποβολή («Υποστηρίζω»): ένας ανά διεύθυνση, μετά την επόμενη δημοσίευση.",
            "integer",
        ),
        "respondent_type": _coded(
            "respondent_type",
            "Είδος συμμετέχοντα",
            "Πολίτης ή συλλογικός φορέας",
            spec["respondent_types"],
        ),
        "display_name": Column(
            "display_name",
            "Όνομα πολίτη",
            "Το όνομα του πολίτη, μόνο αν επέλεξε να δημοσιευθεί (ποτέ για φορέα).",
        ),
        "organisation_name": Column(
            "organisation_name",
            "Επωνυμία φορέα",
            "Η επωνυμία του φορέα, μόνο αν επέλεξε να δημοσιευθεί.",
        ),
        "organisation_type": _coded(
            "organisation_type", "Είδος φορέα", "Το είδος του φορέα", spec["organisation_types"]
        ),
        "created_at": Column(
            "created_at", "Υποβλήθηκε", "Πότε υποβλήθηκε (UTC, ISO 8601).", "datetime"
        ),
        "approved_at": Column(
            "approved_at", "Δημοσιεύθηκε", "Πότε εγκρίθηκε για δημοσίευση (UTC).", "datetime"
        ),
        "disposition": _coded(
            "disposition",
            "Απόφαση του Δήμου",
            "Η απόφαση του Δήμου για την υποβολή (κενό: δεν έχει απαντηθεί)",
            spec["dispositions"]["labels"],
        ),
        "answer_text": Column("answer_text", "Απάντηση του Δήμου", "Η απάντηση του Δήμου."),
        "answered_at": Column(
            "answered_at", "Απαντήθηκε", "Πότε απάντησε ο Δήμος (UTC).", "datetime"
        ),
    }


def _pick(*names: str) -> tuple[Column, ...]:
    columns = _columns()
    picked: list[Column] = []
    for name in names:
        value = columns[name]
        picked.extend(value if isinstance(value, tuple) else (value,))
    return tuple(picked)


AUTHOR = ("respondent_type", "display_name", "organisation_name", "organisation_type")
ANSWER = ("disposition", "answer_text", "answered_at")
DATES = ("created_at", "approved_at")
SITE = ("consultation", "consultation_title")

COMMENT_COLUMNS = _pick(
    "id", "reference", *SITE, "text", "text_title", "paragraph", "proposal", "parent", "body",
    "group", "supports", *AUTHOR, *DATES, *ANSWER,
)  # fmt: skip
PROPOSAL_COLUMNS = _pick(
    "id",
    "reference",
    *SITE,
    "title",
    "body",
    "location",
    "group",
    "supports",
    *AUTHOR,
    *DATES,
    *ANSWER,
)
# The CSV: one row per proposal or comment (proposals first), with its kind.
CSV_COLUMNS = _pick(
    "kind", "id", "reference", *SITE, "text", "text_title", "paragraph", "proposal", "parent",
    "title", "body", "location", "group", "supports", *AUTHOR, *DATES, *ANSWER,
)  # fmt: skip

# Participation: one row per text, one for the proposals, one per consultation (and the site).
SCOPES = {
    "text": "Κείμενο",
    "proposals": "Προτάσεις",
    "consultation": "Σύνολο διαβούλευσης",
    "site": "Σύνολο ιστότοπου",
}


@cache
def participation_columns() -> tuple[Column, ...]:
    """The participation sheet's columns: counts, and the answers by disposition."""
    labels = limits()["dispositions"]["labels"]
    count = "integer"
    return (
        *_coded("scope", "Επίπεδο", "Τι μετρά η γραμμή: κείμενο, προτάσεις ή σύνολο", SCOPES),
        *_pick(*SITE, "text", "text_title"),
        Column("comments", "Σχόλια", "Πλήθος σχολίων (με τις απαντήσεις σε σχόλια).", count),
        Column("proposals", "Προτάσεις", "Πλήθος προτάσεων.", count),
        Column("by_citizens", "Από πολίτες", "Σχόλια και προτάσεις πολιτών.", count),
        Column("by_organisations", "Από φορείς", "Σχόλια και προτάσεις φορέων.", count),
        Column("answered", "Απαντήθηκαν", "Σχόλια και προτάσεις με απάντηση του Δήμου.", count),
        *(
            Column(
                f"answered_{code}",
                f"Απαντήσεις: {label}",
                f"Απαντήσεις με απόφαση «{label}» ({code}).",
                count,
            )
            for code, label in labels.items()
        ),
    )
