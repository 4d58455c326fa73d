"""The app config that installs Django's admin as Madang's back office (see edition_admin.py)."""

from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminConfig(AdminConfig):
    """Django's admin with Madang's site: entry by staff status or a back-office role."""

    default_site = "madang.accounts.edition_admin.BackOfficeSite"
