"""The seed the client contract tests run against (written to a temp YAML file).

Kept here rather than reusing the shipped example seed so the contract tests
pin exactly the data they assert on.
"""

from __future__ import annotations

from datetime import date
from typing import Any

TODAY = date(2026, 11, 21)
MEDICAL = "bprd_ct_medical"
DENTAL = "bprd_ct_dental"
VISION = "bprd_ct_vision"
RETIRED = "bprd_ct_retired"
ACME = "empr_ct_acme"
GLOBEX = "empr_ct_globex"
MANY = "empr_ct_many"  # has MANY_YEARS dental plan years, for pagination
MANY_YEARS = 45
LOCKABLE = "plyr_ct_acme_dental_2027"
ENROLLED_EMPLOYEE = "empl_ct_0001"
ENROLLMENT = "enrl_ct_0001"

CLASSES = [
    {
        "employment": "full_time",
        "family_status": "EE",
        "employee_contribution_cents": 5000,
        "employer_contribution_cents": 30000,
    },
    {
        "employment": "full_time",
        "family_status": "EF",
        "employee_contribution_cents": 15000,
        "employer_contribution_cents": 60000,
    },
]


def _address(street: str) -> dict[str, str]:
    return {"street_1": street, "city": "Austin", "state": "TX", "zip_code": "78701"}


def plan_year(product: str, employer: str, year: int, plan_year_id: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "benefit_product_id": product,
        "employer_id": employer,
        "coverage_start": f"{year}-01-01",
        "coverage_end": f"{year}-12-31",
        "open_enrollment_start": f"{year - 1}-12-01",
        "open_enrollment_end": f"{year - 1}-12-15",
        "contribution_classes": CLASSES,
    }
    if plan_year_id:
        body["id"] = plan_year_id
    return body


def seed() -> dict[str, Any]:
    return {
        "benefit_products": [
            {
                "id": MEDICAL,
                "name": "Contract MEC",
                "product_code": "MEC",
                "category": "Medical",
                "carrier_name": "Vitable",
                "carrier_plans": [
                    {
                        "id": "cplan_ct_mec_bronze",
                        "name": "MEC Bronze",
                        "monthly_premium_cents": 25000,
                        "tier": "Bronze",
                    },
                    {
                        "id": "cplan_ct_mec_silver",
                        "name": "MEC Silver",
                        "monthly_premium_cents": 40000,
                        "deductible_cents": 150000,
                        "tier": "Silver",
                    },
                ],
            },
            {
                "id": DENTAL,
                "name": "Contract VD",
                "product_code": "VD",
                "category": "Dental",
                "carrier_plans": [
                    {"id": "cplan_ct_vd", "name": "Dental", "monthly_premium_cents": 3000}
                ],
            },
            {
                "id": VISION,
                "name": "Contract VV",
                "product_code": "VV",
                "category": "Vision",
                "carrier_plans": [
                    {"id": "cplan_ct_vv", "name": "Vision", "monthly_premium_cents": 1000}
                ],
            },
            {
                "id": RETIRED,
                "name": "Retired hospital plan",
                "product_code": "EBA",
                "category": "Hospital",
                "active": False,
            },
        ],
        "employers": [
            {
                "id": ACME,
                "name": "Acme Contract",
                "legal_name": "Acme Contract LLC",
                "ein": "12-3456789",
                "address": _address("1 Main St"),
            },
            {
                "id": GLOBEX,
                "name": "Globex Contract",
                "legal_name": "Globex Contract Inc",
                "ein": "98-7654321",
                "address": _address("2 Side St"),
            },
            {"id": MANY, "name": "Many Years", "legal_name": "Many Years Co", "ein": "11-1111111"},
        ],
        "plan_years": [
            plan_year(DENTAL, ACME, 2027, LOCKABLE),
            plan_year(MEDICAL, ACME, 2026, "plyr_ct_acme_medical_2026"),
            *(
                plan_year(DENTAL, MANY, 2030 + n, f"plyr_ct_many_{n:03d}")
                for n in range(MANY_YEARS)
            ),
        ],
        "enrollments": [
            {
                "id": ENROLLMENT,
                "employee_id": ENROLLED_EMPLOYEE,
                "plan_year_id": "plyr_ct_acme_medical_2026",
                "status": "enrolled",
                "coverage_tier": "EE",
                "decision": "enrolled",
                "selected_carrier_plan_id": "cplan_ct_mec_silver",
                "employee_contribution_cents": 5000,
                "employer_contribution_cents": 30000,
            }
        ],
    }
