"""Static file storage: hashed, compressed names once collected; plain names before that."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # Tests and a fresh checkout run before `collectstatic`; a missing manifest entry then falls
    # back to the plain name (served by WhiteNoise's finders) instead of raising.
    manifest_strict = False
