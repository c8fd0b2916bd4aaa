"""The error shape of the API (docs/contracts.md): ``{"error": {"code", "message",
"fields"}}``, Greek for people."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.spec import limits

MESSAGES: dict[str, tuple[int, str]] = {
    "invalid_json": (400, "Το αίτημα δεν είναι έγκυρο JSON."),
    "invalid_encoding": (400, "Το αίτημα δεν είναι έγκυρο κείμενο UTF-8."),
    "unsupported_media_type": (415, "Μη υποστηριζόμενος τύπος περιεχομένου."),
    "unknown_field": (400, "Το αίτημα περιέχει πεδία που δεν δεχόμαστε."),
    "invalid_type": (400, "Ορισμένα πεδία δεν έχουν τον σωστό τύπο."),
    "validation": (422, "Ορισμένα πεδία χρειάζονται διόρθωση."),
    "too_large": (413, "Το αίτημα είναι πολύ μεγάλο."),
    "not_found": (404, "Δεν βρέθηκε αυτό που ζητήσατε."),
    "invalid_reference": (422, "Η παράγραφος ή το σχόλιο στο οποίο αναφέρεστε δεν υπάρχει."),
    "consultation_not_open": (409, "Η διαβούλευση δεν έχει ανοίξει ακόμη."),
    "consultation_closed": (409, "Η διαβούλευση έχει λήξει."),
    "duplicate": (409, "Έχετε ήδη υποβάλει το ίδιο κείμενο πριν από λίγο."),
    "forbidden_origin": (403, "Η υποβολή επιτρέπεται μόνο από τον ιστότοπο της διαβούλευσης."),
    "rate_limited": (429, "Πάρα πολλές υποβολές σε λίγο χρόνο. Δοκιμάστε ξανά αργότερα."),
    "unauthorized": (401, "Απαιτείται έγκυρο διακριτικό προσωπικού."),
    "conflict": (
        409,
        "Η κατάσταση άλλαξε στο μεταξύ από άλλον χρήστη. Ανανεώστε και δοκιμάστε ξανά.",
    ),
    "unavailable": (503, "Η υπηρεσία δεν είναι διαθέσιμη αυτή τη στιγμή. Δοκιμάστε ξανά σε λίγο."),
}


class ApiError(Exception):
    """An answer other than success; carries everything the response needs."""

    def __init__(
        self,
        code: str,
        message: str | None = None,
        fields: dict[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        status, default = MESSAGES[code]
        super().__init__(code)
        self.code = code
        self.status = status
        self.message = message or default
        self.fields = fields or {}
        # Chalice's Response takes multi-valued headers too.
        self.headers: dict[str, str | list[str]] = {**(headers or {})}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


def unavailable() -> ApiError:
    """The one 503 of the API: the database (or the manifest) cannot be used now; come back
    after limits.json's ``unavailable_retry_after_seconds``."""
    seconds = limits()["guards"]["unavailable_retry_after_seconds"]
    return ApiError("unavailable", headers={"Retry-After": str(seconds)})
