"""The one client contract the engine depends on.

:class:`VitableApi` is every call the engine makes (plan, apply, saved-plan
checks, export). :class:`vitable_config.api.client.VitableClient` implements it,
and so does every test fake (``tests/engine/fake_api.py``); mypy checks both.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from vitable_config.api.models import (
    BenefitProduct,
    Employer,
    PlanYear,
    PlanYearCreate,
    PlanYearUpdate,
)


class ClientSettingsView(Protocol):
    """What the engine reads of the client's settings."""

    @property
    def base_url(self) -> str: ...


class VitableApi(Protocol):
    """The API as the engine sees it (paged reads return every page's items)."""

    @property
    def settings(self) -> ClientSettingsView: ...

    @property
    def server_date(self) -> date | None:
        """The API's date (its Date header); None when it gave none."""
        ...

    async def list_benefit_products(self) -> list[BenefitProduct]:
        """All benefit products."""
        ...

    async def list_employers(
        self, *, limit: int = ..., concurrent_pages: int | None = None
    ) -> list[Employer]:
        """All employers."""
        ...

    async def get_employer(self, employer_id: str) -> Employer:
        """One employer."""
        ...

    async def list_plan_years(
        self,
        benefit_product_id: str,
        *,
        employer_id: str | None = None,
        limit: int = ...,
        concurrent_pages: int | None = None,
    ) -> list[PlanYear]:
        """Plan years of a product, optionally for one employer."""
        ...

    async def get_plan_year(self, plan_year_id: str) -> PlanYear:
        """One plan year."""
        ...

    async def create_plan_year(self, benefit_product_id: str, body: PlanYearCreate) -> PlanYear:
        """POST a new plan year."""
        ...

    async def update_plan_year(self, plan_year_id: str, body: PlanYearUpdate) -> PlanYear:
        """PUT changes to a draft plan year."""
        ...
