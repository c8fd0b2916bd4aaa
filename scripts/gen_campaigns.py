"""Generate the submissions of the campaigns bench: comments on the project's own consultation
texts (content/consultations), most of them written by their authors alone and some sent by a
campaign, with the generator's own labels to measure grouping against (chalicelib.campaigns).

- Unique comments (``1 - share``): written by varied people from the words of the text they
  comment on (its headings, its «της …» and «στην …» phrases) in a grammar of sentences with
  lead-ins and tails, with an opening or a closing now and then; some (``QUOTING_SHARE``) quote
  a long passage of their text (two sentences, 25 words or more) and comment on it: those
  must not be grouped for the quotation.
- Campaigns (``share``, split over ``CAMPAIGNS``): each a Greek template letter (80–200 words)
  on one text, sent in a burst that fades over a few days. Every member edits it at random: a
  greeting changed, a few words swapped or replaced by a synonym, a sentence of their own (or
  two) added, a name signed; a few send the template as it is.

Every item is a submission item as the table holds it (scripts/seed_demo.submission_item, which
the other benches write, and the intake's ``body_print``), pending or approved, created within
its consultation's window; the labels map each id to its campaign, or None. The same seed gives
the same items.

    python -m scripts.gen_campaigns --count 2000 --seed 7
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"

ATHENS = ZoneInfo("Europe/Athens")
SHARE = 0.3  # of the submissions, sent by the campaigns
QUOTING_SHARE = 0.12  # of the unique comments, quoting a long passage of their text
APPROVED_SHARE = 0.6  # the rest pending
EXACT_SHARE = 0.08  # of a campaign's members, the template as it is (the intake's fingerprint)
QUOTE_MIN_WORDS = 25
CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


# --- the campaigns' letters ---------------------------------------------------------------------
@dataclass(frozen=True)
class Letter:
    """A campaign's template: its text (file under content/consultations), greeting, sentences
    and closing; ``weight``: its share of the campaigns' members."""

    name: str
    path: str
    greeting: str
    sentences: tuple[str, ...]
    closing: str
    weight: float


LETTERS = (
    Letter(
        "plateia-dentra",
        "perivallon/plateia.md",
        "Αξιότιμε κύριε Δήμαρχε,",
        (
            "Ως κάτοικοι της Νέας Σμύρνης και μέλη της πρωτοβουλίας «Η πλατεία ανήκει σε όλους», "
            "σας γράφουμε για το σχέδιο ανάπλασης της κεντρικής μας πλατείας.",
            "Δεν αντιλέγουμε στην ανάγκη να επισκευαστούν όσα έχουν φθαρεί και να γίνει η πλατεία "
            "προσβάσιμη σε όλους.",
            "Ζητάμε όμως γραπτή δέσμευση ότι δεν θα κοπεί κανένα από τα ώριμα δέντρα της και ότι "
            "κάθε νέο παρτέρι θα σχεδιαστεί γύρω από αυτά.",
            "Ζητάμε ακόμη να μη στηθούν μόνιμες εξέδρες για εκδηλώσεις στο κέντρο της, εκεί όπου "
            "σήμερα τα παιδιά παίζουν ελεύθερα μετά το σχολείο.",
            "Τέλος, ζητάμε να δημοσιευτεί ολόκληρη η οριστική μελέτη πριν από τη δημοπράτηση και "
            "να οργανωθεί ανοιχτή συνέλευση με τους κατοίκους, ώστε οι αλλαγές να συζητηθούν πριν "
            "ξεκινήσει οποιαδήποτε εργασία.",
            "Η πλατεία είναι ο μοναδικός μεγάλος ελεύθερος χώρος της γειτονιάς μας και θέλουμε να "
            "παραμείνει ανοιχτή, σκιερή και φιλική για μικρούς και μεγάλους.",
            "Πιστεύουμε ότι ο Δήμος θα ακούσει τη φωνή μας.",
        ),
        "Με εκτίμηση,",
        0.5,
    ),
    Letter(
        "laiki-paragogoi",
        "topiki-oikonomia/laikes-agores.md",
        "Κύριε Δήμαρχε, κυρίες και κύριοι σύμβουλοι,",
        (
            "Είμαστε παραγωγοί και πωλητές που στήνουμε κάθε εβδομάδα τους πάγκους μας στις "
            "λαϊκές της πόλης σας.",
            "Συμφωνούμε με το πλύσιμο των δρόμων και με τα σημεία ρεύματος, όμως ανησυχούμε για "
            "την απαγόρευση του στησίματος πριν από τις έξι το πρωί.",
            "Τα φρέσκα μας προϊόντα φτάνουν από τα χωράφια νύχτα και χωρίς έγκαιρο στήσιμο οι "
            "πρώτοι πελάτες, κυρίως ηλικιωμένοι, θα βρίσκουν άδειους πάγκους.",
            "Παρακαλούμε να οριστεί από κοινού ένα ωράριο που σέβεται και τον ύπνο των περιοίκων "
            "και τη δουλειά μας.",
            "Ζητάμε επίσης να μας διατεθεί ένας σταθερός χώρος για τα φορτηγά κοντά στην αγορά, "
            "για να μην κάνουμε κύκλους στις γειτονιές ψάχνοντας θέση.",
        ),
        "Με τιμή, ένας από τους παραγωγούς της λαϊκής",
        0.3,
    ),
    Letter(
        "kolymvitirio-goneis",
        "koinoniki-politiki/kolymvitirio.md",
        "Προς τον Δήμο Νέας Σμύρνης,",
        (
            "Είμαστε γονείς παιδιών που προπονούνται καθημερινά στο Δημοτικό Κολυμβητήριο.",
            "Χαιρετίζουμε την αναβάθμιση, αλλά σας ζητάμε να μην κλείσει η πισίνα ολόκληρη τη "
            "σεζόν των αγώνων.",
            "Οι εργασίες ας γίνουν τμηματικά, τους καλοκαιρινούς μήνες, και στο διάστημα αυτό ας "
            "εξασφαλιστούν ώρες σε γειτονικό κολυμβητήριο.",
            "Πολλοί από εμάς δουλεύουμε ως αργά το απόγευμα και η πισίνα της γειτονιάς είναι η "
            "μόνη που προλαβαίνουμε.",
            "Τα παιδιά μας δουλεύουν χρόνια για αυτή την προσπάθεια και δεν πρέπει να μείνουν έξω "
            "από το νερό.",
        ),
        "Ευχαριστούμε,",
        0.2,
    ),
)
CAMPAIGNS = tuple(letter.name for letter in LETTERS)

GREETINGS = (
    "Αξιότιμε κύριε Δήμαρχε,", "Κύριε Δήμαρχε,", "Αγαπητέ κύριε Δήμαρχε,", "Καλησπέρα σας,",
    "Αξιότιμα μέλη του Δημοτικού Συμβουλίου,", "Προς τον Δήμο Νέας Σμύρνης,", "Αγαπητοί,",
    "Προς την αρμόδια υπηρεσία,", "Γεια σας,", "Καλημέρα σας,",
)  # fmt: skip
CLOSINGS = ("Με εκτίμηση,", "Με τιμή,", "Ευχαριστώ,", "Ευχαριστώ εκ των προτέρων,",
            "Με φιλικούς χαιρετισμούς,", "Περιμένω την απάντησή σας,")  # fmt: skip
# Words of the letters and of the unique sentences, with what people write instead.
SYNONYMS = {
    "ζητάμε": "ζητούμε", "ζητούμε": "ζητάμε", "όμως": "ωστόσο", "ωστόσο": "όμως",
    "ακόμη": "επίσης", "επίσης": "ακόμη", "μοναδικός": "μόνος", "γειτονιάς": "περιοχής",
    "παιδιά": "πιτσιρίκια", "δέσμευση": "διαβεβαίωση", "ελεύθερα": "ανέμελα",
    "Παρακαλούμε": "Σας παρακαλούμε", "κυρίως": "ιδίως", "ανησυχούμε": "φοβόμαστε",
    "καθημερινά": "κάθε μέρα", "Χαιρετίζουμε": "Καλωσορίζουμε", "ολόκληρη": "όλη",
    "πρέπει": "πρέπει οπωσδήποτε", "σταθερός": "μόνιμος", "Πιστεύουμε": "Ελπίζουμε",
    "ξεκινήσει": "αρχίσει", "μεγάλος": "σημαντικός", "σκιερή": "δροσερή", "θέλουμε": "επιθυμούμε",
}  # fmt: skip

# --- the people ---------------------------------------------------------------------------------
# fmt: off
MEN = ("Γιώργος", "Νίκος", "Δημήτρης", "Κώστας", "Γιάννης", "Παναγιώτης", "Βασίλης", "Χρήστος",
       "Αντώνης", "Μιχάλης", "Σταύρος", "Θανάσης", "Άγγελος", "Στέλιος", "Λευτέρης", "Σπύρος",
       "Ηλίας", "Πέτρος", "Μανώλης", "Αλέξανδρος")
WOMEN = ("Μαρία", "Ελένη", "Κατερίνα", "Σοφία", "Αγγελική", "Δέσποινα", "Βασιλική", "Γεωργία",
         "Χριστίνα", "Ιωάννα", "Αναστασία", "Ευαγγελία", "Φωτεινή", "Δήμητρα", "Άννα", "Ειρήνη",
         "Παναγιώτα", "Θεοδώρα", "Νίκη", "Ζωή")
SURNAMES = (("Παπαδόπουλος", "Παπαδοπούλου"), ("Νικολάου", "Νικολάου"),
            ("Γεωργίου", "Γεωργίου"), ("Οικονόμου", "Οικονόμου"),
            ("Παπαγεωργίου", "Παπαγεωργίου"), ("Βλάχος", "Βλάχου"), ("Αθανασίου", "Αθανασίου"),
            ("Μακρής", "Μακρή"), ("Κωνσταντίνου", "Κωνσταντίνου"), ("Δημητρίου", "Δημητρίου"),
            ("Ιωάννου", "Ιωάννου"), ("Πετρόπουλος", "Πετροπούλου"), ("Αλεξίου", "Αλεξίου"),
            ("Σταυρόπουλος", "Σταυροπούλου"), ("Καραγιάννης", "Καραγιάννη"),
            ("Μιχαηλίδης", "Μιχαηλίδου"), ("Χατζηδάκης", "Χατζηδάκη"), ("Ζαχαρίου", "Ζαχαρίου"),
            ("Τσακίρης", "Τσακίρη"), ("Λαμπρόπουλος", "Λαμπροπούλου"), ("Σαρρής", "Σαρρή"),
            ("Κυριακίδης", "Κυριακίδου"), ("Μαυρίδης", "Μαυρίδου"), ("Αναγνώστου", "Αναγνώστου"),
            ("Φραγκιαδάκης", "Φραγκιαδάκη"), ("Ρήγας", "Ρήγα"), ("Σιδέρης", "Σιδέρη"),
            ("Πολίτης", "Πολίτη"), ("Σμυρναίος", "Σμυρναίου"), ("Μπακάλης", "Μπακάλη"))
STREETS = ("Ομήρου", "Αγίας Σοφίας", "Ελευθερίου Βενιζέλου", "Πλαστήρα", "Αιγαίου", "Εφέσου",
           "Κουντουριώτου", "Χρυσοστόμου Σμύρνης", "Συγγρού", "Αρτάκης", "Σκρα", "Θερμοπυλών",
           "Καλλιπόλεως", "Προύσης", "Μεγάλου Αλεξάνδρου", "Βάρνης", "Νικομηδείας", "Ζαΐμη",
           "Ιωνίας", "Κασσάνδρας", "Ευαγγελικής Σχολής", "Τραπεζούντος", "Αμισού", "Κρήτης")
PLACES = ("στην Άνω Νέα Σμύρνη", "στον Άγιο Σώστη", "στην Αμφιθέα", "στο κέντρο",
          "στην Εστία", "κοντά στο Άλσος", "στα όρια με την Καλλιθέα", "κοντά στη Συγγρού",
          "στην Παλαιά Σμύρνη", "δίπλα στο Σκρα")
TIMES = ("τις πρωινές ώρες", "το απόγευμα", "τα Σαββατοκύριακα", "το καλοκαίρι", "τον χειμώνα",
         "τις βραδινές ώρες", "τις καθημερινές", "τις γιορτές", "τον Αύγουστο", "μετά τις οκτώ")
WHO = (("τα παιδιά", "τα παιδιά"), ("οι ηλικιωμένοι", "τους ηλικιωμένους"),
       ("οι γονείς με καρότσια", "τους γονείς με καρότσια"), ("οι ποδηλάτες", "τους ποδηλάτες"),
       ("οι έμποροι", "τους εμπόρους"), ("οι μαθητές", "τους μαθητές"),
       ("τα άτομα με αναπηρία", "τα άτομα με αναπηρία"),
       ("οι νέοι της περιοχής", "τους νέους της περιοχής"),
       ("οι εργαζόμενοι", "τους εργαζόμενους"), ("οι συνταξιούχοι", "τους συνταξιούχους"),
       ("οι νέες οικογένειες", "τις νέες οικογένειες"), ("οι επισκέπτες", "τους επισκέπτες"))
CONCERNS = (("το κόστος", "το κόστος"), ("ο θόρυβος", "τον θόρυβο"),
            ("η καθυστέρηση", "την καθυστέρηση"), ("η συντήρηση", "τη συντήρηση"),
            ("η ασφάλεια", "την ασφάλεια"), ("η έλλειψη ενημέρωσης", "την έλλειψη ενημέρωσης"),
            ("η στάθμευση", "τη στάθμευση"), ("η καθαριότητα", "την καθαριότητα"),
            ("ο φωτισμός", "τον φωτισμό"), ("η σκίαση", "τη σκίαση"))
# fmt: on

# What people bring up about any text, beside its own phrases.
GENITIVES = (
    "της γειτονιάς",
    "του πεζοδρομίου",
    "των πεζοδρομίων",
    "της καθαριότητας",
    "του πρασίνου",
    "των σχολείων",
    "της πλατείας",
    "του φωτισμού",
    "των κάδων",
    "της στάθμευσης",
    "των υπηρεσιών",
    "των δρόμων",
    "της παιδικής χαράς",
    "του προϋπολογισμού",
    "των κοινόχρηστων χώρων",
    "της συγκοινωνίας",
)
LOCATIVES = (
    "στη γειτονιά",
    "στα πεζοδρόμια",
    "στους πεζόδρομους",
    "στα σχολεία",
    "στην καθαριότητα",
    "στο πράσινο",
    "στους ηλικιωμένους",
    "στα παιδιά",
    "στην ασφάλεια",
    "στον φωτισμό",
    "στις γειτονιές",
    "στη συντήρηση",
    "στην ενημέρωση",
    "στους νέους",
    "στις πλατείες",
    "στη συγκοινωνία",
)
OWN_PHRASES = 0.6  # of the phrases in a comment, its text's own (the rest from the lists above)

# A sentence of a unique comment: {g} a «της …» phrase (of its text, or of ``GENITIVES``), {s}
# and {s2} «στην …» phrases, {other} one of those without its «σ» («την …»), {h} a heading;
# {who} and {concern} (and their accusatives, {who_acc} and {concern_acc}), {time}, {place},
# {street}, {n}, {years}, {age}: what people write about the text.
CORES = (
    "Συμφωνώ γενικά με τον σχεδιασμό {g}, αλλά με προβληματίζει {concern}",
    "Ανησυχώ για {concern_acc} {g} και για το ποιος θα αναλάβει την ευθύνη",
    "Θα ήθελα να δοθεί μεγαλύτερη προτεραιότητα {s} και όχι τόσο {s2}",
    "Μένω στην οδό {street} {years} χρόνια και βλέπω πόσο {who} ταλαιπωρούνται {time}",
    "Πότε ακριβώς θα ξεκινήσουν οι εργασίες {g} και πόσο θα κρατήσουν",
    "Στην ενότητα «{h}» δεν αναφέρεται τίποτα για {who_acc}",
    "Η μητέρα μου είναι {age} ετών και δυσκολεύεται με {concern_acc} {place}",
    "Δεν καταλαβαίνω γιατί χρειάζονται τόσα χρήματα για {other}",
    "Προτείνω πιλοτική εφαρμογή {s} πριν από κάθε επέκταση {s2}",
    "Καλό θα ήταν να ρωτηθούν πρώτα {who} που ζουν {place}",
    "Για μένα προέχει {concern} {time}",
    "Έχω {n} παιδιά και {time} δεν έχουμε πού να πάμε {place}",
    "Πριν από {years} χρόνια δοκιμάστηκε κάτι ανάλογο {place} χωρίς αποτέλεσμα",
    "Ο Δήμος να δεσμευτεί για τη συντήρηση {g}, όχι μόνο για την κατασκευή",
    "Ζητώ να δημοσιεύεται κάθε εξάμηνο η πρόοδος {g}",
    "Στο κομμάτι «{h}» θα πρόσθετα μια πρόβλεψη για {who_acc}",
    "Τι θα γίνει με {concern_acc} {place};",
    "Περνάω από εκεί {time} και θα ήθελα περισσότερη φροντίδα {s}",
    "Στα {age} μου θυμάμαι την περιοχή αλλιώς και στηρίζω την αλλαγή {g}",
    "Μήπως συμφέρει να επισκευαστούν όσα υπάρχουν {s};",
    "Η γειτονιά μας {place} ξεχνιέται όταν συζητάμε για {other}",
    "Χρειάζεται καλύτερη ενημέρωση για {who_acc} σχετικά με {other}",
    "Θα πρότεινα συνεργασία με τα σχολεία {place} για {other}",
    "Δεν είμαι αντίθετος, φοβάμαι όμως ότι {concern} θα χειροτερέψει {time}",
    "Η οδός {street} έχει περισσότερη ανάγκη από ό,τι {s2}",
    "Ας μη μείνει στη μέση όπως το έργο {place} πριν από {years} χρόνια",
    "Πόσα από τα χρήματα θα πάνε πραγματικά {s};",
    "Θέλουμε να παρακολουθούμε στο διαδίκτυο την πορεία {g}",
    "Η πρόταση για {other} είναι σωστή, αρκεί να μη μείνει στα χαρτιά",
    "Στην πολυκατοικία μας στην {street} ζουν {n} οικογένειες με μικρά παιδιά",
    "Θέλω μια σαφή απάντηση για {concern_acc} πριν ξεκινήσει οτιδήποτε {s}",
    "Σε άλλους δήμους {who} ωφελήθηκαν πολύ από τέτοιες αλλαγές",
    "Η ενότητα «{h}» θέλει περισσότερους αριθμούς και λεπτομέρειες",
    "Να οριστεί υπεύθυνος επικοινωνίας του Δήμου για {other}",
    "Ως εθελοντής {years} χρόνια ξέρω ότι {who} μπορούν να βοηθήσουν {s}",
    "Λείπει ένα σχέδιο για {concern_acc} {time}",
    "Η βελτίωση {g} να προηγηθεί από κάθε άλλο έργο {place}",
    "Μακάρι να δούμε επιτέλους αλλαγές {s}, τις περιμένουμε {years} χρόνια",
    "Οι {n} θέσεις που προβλέπονται είναι λίγες για {other}",
    "Θα μπορούσαν να αξιοποιηθούν και τα κενά οικόπεδα {place}",
    "Στο σπίτι μας είμαστε {n} άτομα και όλοι χρησιμοποιούμε {other}",
    "Το {n}% του προϋπολογισμού να πάει {s}",
    "Γιατί δεν υπάρχει πρόβλεψη για {who_acc} {s};",
    "Δουλεύω κοντά στην {street} και κάθε μέρα βλέπω {concern_acc}",
    "Η αλήθεια είναι ότι {who} αποφεύγουν {other} {time}",
    "Να γίνουν πρώτα οι μελέτες {g} και μετά οι ανακοινώσεις",
    "Συνιστώ να μελετηθεί το παράδειγμα άλλων πόλεων για {other}",
    "Ο σύλλογός μας {place} είναι έτοιμος να συμβάλει στη φροντίδα {g}",
    "Χωρίς έλεγχο {concern} θα μείνει ίδιο",
    "Κάθε φορά που βρέχει η {street} πλημμυρίζει, ας το δει κάποιος",
    "Προτιμώ μικρές παρεμβάσεις {s} από ένα μεγάλο έργο που αργεί",
    "Η κόρη μου είναι {n} χρονών και χρειάζεται ασφαλή διαδρομή {s}",
    "Είναι κρίμα που {who} δεν έχουν ακόμη πρόσβαση {s}",
    "Ας υπάρξει δημόσια λογοδοσία για {other} κάθε χρόνο",
    "Ο γείτονάς μου στην {street} παραπονιέται συνέχεια για {concern_acc}",
    "Εκτιμώ τη δουλειά των υπηρεσιών, όμως {concern} μένει άλυτο",
    "Αν δεν λυθεί {concern} {place}, το έργο δεν θα πετύχει",
    "Θα βοηθούσε ένας χάρτης με όλες τις παρεμβάσεις {g}",
    "Ρωτήστε τα καταστήματα της {street} πριν αποφασίσετε για {other}",
    "Πληρώνουμε δημοτικά τέλη {years} χρόνια και ακόμη περιμένουμε {other}",
    "Είναι απαραίτητο να ακουστούν {who} για {other}",
    "Η ενότητα «{h}» με βρίσκει σύμφωνο, με μια επιφύλαξη για {concern_acc}",
    "Να τοποθετηθούν παγκάκια και βρύσες {s}",
    "Συχνά {time} {who} δεν βρίσκουν πού να σταθούν {place}",
    "Τα {n} τελευταία χρόνια η κατάσταση {g} χειροτερεύει",
    "Σκεφτείτε και όσους δουλεύουν {time}",
    "Κάποιος πρέπει να ελέγχει τα συνεργεία {s}",
    "Έμαθα για τη διαβούλευση από έναν φίλο {place}, λίγοι τη γνωρίζουν",
    "Το χρονοδιάγραμμα {g} μού φαίνεται αισιόδοξο",
    "Μια ετήσια συνάντηση με {who_acc} θα έλυνε πολλά",
)
LEAD_INS = ("Κατά τη γνώμη μου,", "Νομίζω ότι", "Ειλικρινά,", "Από την εμπειρία μου,",
            "Με όλο τον σεβασμό,", "Θέλω να επισημάνω ότι", "Επιπλέον,", "Επίσης,",
            "Ως κάτοικος,", "Για να είμαι ειλικρινής,", "Δυστυχώς,", "Πάντως,", "Ακόμη,",
            "Σε κάθε περίπτωση,", "Όπως το βλέπω,", "Με λίγα λόγια,", "Από την άλλη,",
            "Πρακτικά,", "Ως γονιός,", "Ως συνταξιούχος,")  # fmt: skip
TAILS = (", όπως γίνεται ήδη σε άλλους δήμους", ", ειδικά {time}", ", κάτι που ζητάμε χρόνια",
         ", χωρίς να αυξηθεί το κόστος {g}", " και αυτό πρέπει να ληφθεί υπόψη",
         ", τουλάχιστον για {who_acc}", ", αν θέλουμε να έχει αποτέλεσμα", ", το λέω από εμπειρία",
         " όσο γίνεται πιο γρήγορα", ", κατά τη γνώμη μου", ", όπως λένε και οι γείτονες",
         " πριν να είναι αργά", ", σε συνεργασία με {who_acc}", ", ιδίως {place}")  # fmt: skip
OPENINGS = ("Καλησπέρα σας.", "Γεια σας.", "Καλημέρα.",
            "Ως κάτοικος {place} εδώ και {years} χρόνια θέλω να σχολιάσω το κείμενο.",
            "Εκ μέρους της οικογένειάς μου, λίγα σχόλια.",
            "Ευχαριστώ για τη δυνατότητα να πούμε τη γνώμη μας.")  # fmt: skip
CLOSERS = ("Ευχαριστώ.", "Ευχαριστώ πολύ.", "Καλή συνέχεια στη διαβούλευση.",
           "Ελπίζω να εισακουστούμε.", "Περιμένω τα νέα σας.", "Με εκτίμηση.")  # fmt: skip
QUOTE_INTROS = ("Στο σημείο που γράφει «{q}» έχω μια ένσταση.",
                "Διαβάζω στο κείμενο: «{q}»",
                "Το κείμενο αναφέρει ότι «{q}»",
                "«{q}» Αυτό ακριβώς είναι το πρόβλημα.",
                "Σχετικά με το απόσπασμα «{q}»:")  # fmt: skip

# What a text's phrases look like: an article, then one or two words of the same case.
_GREEK = "α-ωάέήίόύώϊϋΐΰΑ-ΩΆΈΉΊΌΎΏ"
_GENITIVE = re.compile(rf"\b(της|του|των) ([{_GREEK}]{{4,}})(?: ([{_GREEK}]{{4,}}))?")
_LOCATIVE = re.compile(
    rf"\b(στην|στη|στο|στον|στα|στις|στους) ([{_GREEK}]{{4,}})(?: ([{_GREEK}]{{4,}}))?"
)
_ADJECTIVE = ("ικη", "ικο", "ικα", "ικες", "ικους", "ινη", "ινο", "ιες")
_ADJECTIVE_GENITIVE = ("ικης", "ικου", "ικων", "ινης", "ιας", "ιων")
_ENDINGS = {"της": ("ς",), "του": ("ου", "ους"), "των": ("ων",)}
_SENTENCE = re.compile(r"(?<=[.;!·])\s+")


# --- what a text gives ---------------------------------------------------------------------------
@dataclass
class Target:
    """One text commented on: its consultation and slugs, its prose, and what comments take
    from it (phrases, headings, passages to quote); ``opens``/``closes``: its consultation's
    window (UTC)."""

    consultation: str
    text: str
    path: str
    opens: datetime
    closes: datetime
    headings: list[str] = field(default_factory=list)
    genitives: list[str] = field(default_factory=list)
    locatives: list[str] = field(default_factory=list)
    passages: list[str] = field(default_factory=list)


def _metadata(path: Path) -> tuple[dict[str, str], str]:
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    meta = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    return meta, body


def _window(meta: dict[str, str]) -> tuple[datetime, datetime]:
    opens, closes = (
        datetime.strptime(meta[k], "%Y-%m-%d %H:%M").replace(tzinfo=ATHENS).astimezone(UTC)
        for k in ("Opens", "Closes")
    )
    return opens, closes


def _prose(body: str) -> tuple[list[str], list[str]]:
    """(headings, paragraphs) of a text's Markdown: lists as paragraphs, ids left out."""
    headings, paragraphs = [], []
    for block in body.split("\n\n"):
        lines = [ln for ln in block.strip().splitlines() if not re.fullmatch(r"\{#.*\}", ln)]
        if not lines:
            continue
        if lines[0].startswith("#"):
            headings.append(lines[0].lstrip("# ").strip())
            lines = lines[1:]
        for line in lines:
            line = line.removeprefix("- ").strip()
            if line and not line.startswith("#"):
                paragraphs.append(line)
    return headings, paragraphs


def _bare(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def _phrases(prose: str) -> tuple[list[str], list[str]]:
    """The «της …» and «στην …» noun phrases of ``prose``, each once, in order."""
    genitives, locatives = [], []
    for article, first, second in _GENITIVE.findall(prose):
        if not first.endswith(_ENDINGS[article]):
            continue  # not a noun phrase of that case («του κόστους» is, not «της να»)
        if second and second.endswith(_ENDINGS[article]):  # «της παιδικής χαράς»
            genitives.append(f"{article} {first} {second}")
        elif not _bare(first).endswith(_ADJECTIVE_GENITIVE):  # not «της νότιας» alone
            genitives.append(f"{article} {first}")
    for article, first, second in _LOCATIVE.findall(prose):
        if second and _bare(first)[-2:] == _bare(second)[-2:]:  # «στην κλιματική αλλαγή»
            locatives.append(f"{article} {first} {second}")
        elif not _bare(first).endswith(_ADJECTIVE):  # not «στις κύριες» alone
            locatives.append(f"{article} {first}")
    return _unique(genitives), _unique(locatives)


def _passages(paragraphs: list[str]) -> list[str]:
    """Two consecutive sentences of a paragraph, ``QUOTE_MIN_WORDS`` words or more: what a
    comment quotes."""
    found = []
    for paragraph in paragraphs:
        sentences = _SENTENCE.split(paragraph)
        for i in range(len(sentences) - 1):
            passage = " ".join(sentences[i : i + 2])
            if len(passage.split()) >= QUOTE_MIN_WORDS:
                found.append(passage)
    return _unique(found)


def read_targets(content: Path = CONTENT) -> list[Target]:
    """Every text of every consultation under ``content`` (not the consulted copies, not the
    reports), in path order."""
    targets = []
    for index in sorted((content / "consultations").glob("*/index.md")):
        meta, _ = _metadata(index)
        opens, closes = _window(meta)
        for path in sorted(index.parent.glob("*.md")):
            if path.name in ("index.md", "report.md"):
                continue
            text_meta, body = _metadata(path)
            headings, paragraphs = _prose(body)
            genitives, locatives = _phrases(" ".join(paragraphs))
            where = str(path.relative_to(content))
            targets.append(
                Target(meta["Slug"], text_meta["Slug"], where, opens, closes, headings=headings,
                       genitives=genitives, locatives=locatives, passages=_passages(paragraphs))
            )  # fmt: skip
    return targets


# --- writing ------------------------------------------------------------------------------------
class Writer:
    """The sentences people write about one text, from a seeded generator."""

    def __init__(self, rng: random.Random, target: Target) -> None:
        self.rng, self.target = rng, target

    def slots(self) -> dict[str, str]:
        rng, t = self.rng, self.target
        concern, concern_acc = rng.choice(CONCERNS)
        who, who_acc = rng.choice(WHO)

        def phrase(own: list[str], general: tuple[str, ...]) -> str:
            return rng.choice(own) if own and rng.random() < OWN_PHRASES else rng.choice(general)

        return {
            "g": phrase(t.genitives, GENITIVES),
            "s": phrase(t.locatives, LOCATIVES),
            "h": rng.choice(t.headings) if t.headings else "Στόχος",
            "s2": phrase(t.locatives, LOCATIVES),
            "other": phrase(t.locatives, LOCATIVES)[1:],  # «στην πλατεία» → «την πλατεία»
            "who": who,
            "who_acc": who_acc,
            "concern": concern,
            "concern_acc": concern_acc,
            "time": rng.choice(TIMES),
            "place": rng.choice(PLACES),
            "street": rng.choice(STREETS),
            "n": str(rng.randint(2, 12)),
            "years": str(rng.randint(3, 45)),
            "age": str(rng.randint(60, 92)),
        }

    def sentence(self, core: str | None = None) -> str:
        """One sentence: ``core`` (a random one of ``CORES`` when None) filled in, now and then
        with a lead-in and a tail."""
        rng = self.rng
        fill = self.slots()
        core = (core or rng.choice(CORES)).format(**fill)
        end = "" if core.endswith(";") else "."
        if rng.random() < 0.35 and end:
            core += rng.choice(TAILS).format(**fill)
        if rng.random() < 0.4:
            core = f"{rng.choice(LEAD_INS)} {core[0].lower()}{core[1:]}"
        return core + end

    def comment(self, quoting: bool) -> str:
        """A comment of its own: a few sentences, now and then an opening and a closing;
        ``quoting``: it quotes a long passage of the text first."""
        rng = self.rng
        parts = []
        if rng.random() < 0.25:
            parts.append(rng.choice(OPENINGS).format(**self.slots()))
        if quoting:
            parts.append(rng.choice(QUOTE_INTROS).format(q=rng.choice(self.target.passages)))
        count = rng.choice((2, 2, 3) if quoting else (2, 3, 3, 3, 4, 4, 5, 6))
        parts += [self.sentence(core) for core in rng.sample(CORES, count)]
        if rng.random() < 0.25:
            parts.append(rng.choice(CLOSERS))
        body = " ".join(parts)
        return body.lower() if rng.random() < 0.04 else body  # some write in lower case


def name(rng: random.Random) -> str:
    woman = rng.random() < 0.5
    first = rng.choice(WOMEN if woman else MEN)
    return f"{first} {rng.choice(SURNAMES)[1 if woman else 0]}"


def template(letter: Letter) -> str:
    """The letter as the campaign hands it out."""
    return f"{letter.greeting}\n\n{' '.join(letter.sentences)}\n\n{letter.closing}"


def _swap(rng: random.Random, sentences: list[str]) -> None:
    """One edit of a word: a synonym when the sentence has a word that has one, else two
    neighbouring words swapped."""
    n = rng.randrange(len(sentences))
    words = sentences[n].split()
    known = [i for i, w in enumerate(words) if w in SYNONYMS]
    if known and rng.random() < 0.6:
        i = rng.choice(known)
        words[i] = SYNONYMS[words[i]]
    elif len(words) > 3:
        i = rng.randrange(len(words) - 2)  # the last word keeps its full stop
        words[i], words[i + 1] = words[i + 1], words[i]
    sentences[n] = " ".join(words)


def member(rng: random.Random, letter: Letter, writer: Writer) -> str:
    """A campaign member's copy of ``letter``, edited as people do."""
    if rng.random() < EXACT_SHARE:
        return template(letter)
    greeting = rng.choice(GREETINGS) if rng.random() < 0.5 else letter.greeting
    if rng.random() < 0.1:
        greeting = ""
    sentences = list(letter.sentences)
    for _ in range(rng.choices((0, 1, 2, 3), (0.3, 0.3, 0.25, 0.15))[0]):
        _swap(rng, sentences)
    for _ in range(rng.choices((0, 1, 2), (0.45, 0.4, 0.15))[0]):
        sentences.insert(rng.randint(1, len(sentences)), writer.sentence())
    closing = rng.choice(CLOSINGS) if rng.random() < 0.3 else letter.closing
    signed = rng.random() < 0.7
    blocks = [greeting, " ".join(sentences), f"{closing}\n{name(rng)}" if signed else closing]
    return "\n\n".join(b for b in blocks if b)


# --- the submissions ----------------------------------------------------------------------------
@dataclass
class Generated:
    """The submission items (table items) and the generator's labels: id → campaign or None;
    ``quoting``: the ids of the unique comments that quote their text."""

    items: list[dict[str, Any]]
    labels: dict[str, str | None]
    quoting: list[str]
    targets: list[Target]

    def summary(self) -> dict[str, int]:
        counts = Counter(label or "unique" for label in self.labels.values())
        return {**dict(sorted(counts.items())), "quoting": len(self.quoting)}


def sizes(total: int, weights: list[float]) -> list[int]:
    """``total`` split by ``weights`` (largest remainders): the counts add up to ``total``."""
    raw = [total * w / sum(weights) for w in weights]
    counts = [math.floor(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: counts[i] - raw[i])[: total - sum(counts)]:
        counts[i] += 1
    return counts


class _Ids:
    """ULID-like ids (time-ordered) and references, from the seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def new_id(self, at: datetime) -> str:
        ms = int(at.timestamp() * 1000)
        head = "".join(CROCKFORD[(ms >> (5 * i)) & 31] for i in reversed(range(10)))
        return head + "".join(self.rng.choice(CROCKFORD) for _ in range(16))

    def reference(self) -> str:
        return "NS-" + "".join(self.rng.choice(CROCKFORD) for _ in range(8)).upper()


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def _item(
    ids: _Ids, rng: random.Random, target: Target, body: str, at: datetime, n: int
) -> dict[str, Any]:
    """A submission item as the table holds it (the intake's ``body_print`` included)."""
    from chalicelib import text
    from chalicelib.store.submissions import compared_text
    from scripts.seed_demo import submission_item

    status = "approved" if rng.random() < APPROVED_SHARE else "pending"
    decided = at + timedelta(hours=rng.randint(1, 72))
    created = _stamp(at)
    entry = {
        "id": ids.new_id(at), "reference": ids.reference(), "consultation": target.consultation,
        "text": target.text, "proposal": None, "paragraph": None, "parent": None, "body": body,
        "author": {"respondent_type": "citizen", "display_name": name(rng)},
        "created_at": created, "approved_at": _stamp(decided) if status == "approved" else created,
    }  # fmt: skip
    item = submission_item(entry, "comment", email=f"campaigns+{n}@example.invalid", status=status)
    if status == "pending":  # as the intake wrote it: nobody decided yet
        for key in ("decided_at", "decided_by"):
            item.pop(key, None)
        item["version"] = 1
    item["body_print"] = text.fingerprint(compared_text(item))
    return item


def generate(
    count: int = 20_000, seed: int = 7, share: float = SHARE, content: Path = CONTENT
) -> Generated:
    """``count`` submissions on the texts under ``content``, ``share`` of them campaigns'."""
    rng = random.Random(seed)
    ids = _Ids(rng)
    targets = read_targets(content)
    by_path = {t.path: t for t in targets}
    missing = [letter.path for letter in LETTERS if f"consultations/{letter.path}" not in by_path]
    if missing:
        raise ValueError(f"the campaigns' texts are not under {content}: {missing}")
    members = sizes(round(count * share), [letter.weight for letter in LETTERS])
    plan: list[tuple[Target, str | None, datetime]] = []
    for letter, size in zip(LETTERS, members, strict=True):
        target = by_path[f"consultations/{letter.path}"]
        span = (target.closes - target.opens).total_seconds()
        start = target.opens + timedelta(seconds=rng.uniform(0.1, 0.6) * span)
        for _ in range(size):  # a burst: most copies in the first days, then fewer
            delay = min(rng.expovariate(1 / 86_400 / 2), 0.35 * span)
            plan.append((target, letter.name, start + timedelta(seconds=delay)))
    for _ in range(count - len(plan)):
        target = rng.choice(targets)
        span = (target.closes - target.opens).total_seconds()
        plan.append((target, None, target.opens + timedelta(seconds=rng.uniform(0, span))))
    writers = {t.path: Writer(rng, t) for t in targets}
    letters = {letter.name: letter for letter in LETTERS}
    items, labels, quoting = [], {}, []
    for n, (target, label, at) in enumerate(plan):
        writer = writers[target.path]
        if label is not None:
            body = member(rng, letters[label], writer)
            quotes = False
        else:
            quotes = bool(target.passages) and rng.random() < QUOTING_SHARE
            body = writer.comment(quotes)
        item = _item(ids, rng, target, body, at, n)
        items.append(item)
        labels[item["id"]] = label
        if quotes:
            quoting.append(item["id"])
    order = sorted(range(len(items)), key=lambda i: (items[i]["created_at"], items[i]["id"]))
    return Generated([items[i] for i in order], labels, quoting, targets)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", type=int, default=3, help="print this many of each kind")
    args = parser.parse_args(argv)
    generated = generate(args.count, args.seed)
    shown: Counter[str] = Counter()
    for item in generated.items:
        label = generated.labels[item["id"]] or "unique"
        if shown[label] < args.show:
            shown[label] += 1
            print(f"--- {label} ({item['consultation']} / {item['text']})\n{item['body']}\n")
    print(json.dumps(generated.summary(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
