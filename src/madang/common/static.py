"""Static file storage: hashed, compressed names once collected; plain names before that."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # Tests and a fresh checkout run before `collectstatic`; a missing manifest entry then falls
    # back to the plain name (served by WhiteNoise's finders) instead of raising.
    manifest_strict = False

    def stored_name(self, name: str) -> str:
        # With manifest_strict off Django still hashes the file found under STATIC_ROOT, and
        # raises when nothing was collected yet; the plain name is what the finders serve then.
        try:
            return str(super().stored_name(name))
        except ValueError:
            return name
