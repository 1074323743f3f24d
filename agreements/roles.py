"""Staff roles, as Django groups. Which role may do what is decided here and nowhere else."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, Group, Permission, User
from django.core.exceptions import PermissionDenied
from django.db.models import TextChoices


class Role(TextChoices):
    COORDINATOR = "coordinator", "Coordinator"
    DESK_OFFICER = "desk_officer", "Desk officer"
    DATA_CLERK = "data_clerk", "Data clerk"
    VIEWER = "viewer", "Viewer"


# Roles that may record status updates and progress on commitments from the staff pages.
UPDATING_ROLES = {Role.COORDINATOR, Role.DESK_OFFICER}
# Roles that may change anchor dates and deadline rules (the admin, the anchor-change page).
SCHEDULING_ROLES = {Role.COORDINATOR, Role.DATA_CLERK}

# Model permissions each role's group holds, on every model of our two apps (the data clerk enters data
# in the admin; a coordinator may also correct records there).
_APPS = ("agreements", "followups")
_ROLE_ACTIONS = {
    Role.COORDINATOR: ("view", "change"),
    Role.DESK_OFFICER: ("view",),
    Role.DATA_CLERK: ("view", "add", "change", "delete"),
    Role.VIEWER: ("view",),
}


def user_roles(user: User | AnonymousUser) -> set[Role]:
    if not user.is_authenticated:
        return set()
    names = {g.name for g in user.groups.all()}
    return {role for role in Role if role.value in names}


def user_has_role(user: User | AnonymousUser, *roles: Role) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return bool(user_roles(user) & set(roles))


def role_groups_ensure() -> dict[Role, Group]:
    """Create the role groups with their model permissions. Safe to run twice."""
    permissions = list(Permission.objects.filter(content_type__app_label__in=_APPS))
    groups = {}
    for role, actions in _ROLE_ACTIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        group.permissions.set([p for p in permissions if p.codename.split("_", 1)[0] in actions])
        groups[role] = group
    return groups


# --- Who may do what (the staff pages, the API and the admin share these) ----------------------------------


def signed_in_user(user: User | AnonymousUser) -> User:
    """The user of a door that lets only signed-in users through (the staff pages, the admin, the API's staff
    session), as the services record it; an anonymous one is refused (those doors never let one reach here)."""
    if not user.is_authenticated:
        raise PermissionDenied
    return user


def can_read_staff_pages(user: User | AnonymousUser) -> bool:
    """Every staff role may read the staff pages; a partner's login (a contact without a role) may not."""
    return user.is_authenticated and (getattr(user, "is_superuser", False) or bool(user_roles(user)))


def can_update_status(user: User | AnonymousUser) -> bool:
    """Coordinators and desk officers record status updates; viewers and clerks do not."""
    return user_has_role(user, *UPDATING_ROLES)


def can_change_anchor(user: User | AnonymousUser) -> bool:
    """Coordinators and data clerks correct anchor dates (which moves every dependent deadline)."""
    return user_has_role(user, *SCHEDULING_ROLES)


def can_use_admin(user: User | AnonymousUser) -> bool:
    """The admin is for data clerks (and coordinators correcting records), and only with is_staff set."""
    return bool(getattr(user, "is_staff", False)) and user_has_role(user, Role.DATA_CLERK, Role.COORDINATOR)


def can_extend_deadline(user: User | AnonymousUser) -> bool:
    """Extending a deadline (keeping the rule's date beside it) is scheduling: coordinators and data clerks."""
    return user_has_role(user, *SCHEDULING_ROLES)
