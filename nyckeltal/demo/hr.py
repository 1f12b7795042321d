"""hr.employees, hr.payroll and hr.engagement_responses.

About 48 employees grow to about 70 at factor 1 (management stays four people at every
scale), with attrition and hires on any day of the month, part-timers, monthly payroll in SEK
(a few US sales reps in USD and DACH customer success managers in EUR), a salary revision
every April, and the anonymous April and October engagement surveys.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from nyckeltal.demo import hard_cases
from nyckeltal.demo.common import (
    CURRENCIES,
    DAY,
    LAST_PAYROLL_MONTH,
    Window,
    add_months,
    cents,
    dates,
    day_number,
    id_array,
    id_width,
    labels,
    money,
    weekday_in_month,
    weekdays,
)

DEPARTMENTS = ("sales", "marketing", "engineering", "product", "customer_success", "support",
               "finance", "people", "operations", "management")  # fmt: skip
HEADCOUNT = np.array([(9, 13), (5, 7), (12, 18), (3, 5), (5, 8), (4, 6), (2, 3), (2, 2), (2, 3),
                      (4, 4)])  # at the start and at the end of the window, factor 1  # fmt: skip
SALARY_SEK = np.array([52000, 50000, 61000, 63000, 46000, 38000, 54000, 50000, 47000, 115000])
MANAGEMENT = 9
PRODUCT_LINE_DEPARTMENTS = np.array([2, 3, 4])
PART_TIME = np.array([0.05, 0.16, 0.05, 0.05, 0.05, 0.16, 0.16, 0.16, 0.05, 0.0])
EMPLOYER_COST_RATE = np.array([0.21, 0.3592, 0.1565])  # EUR, SEK, USD
MONTHLY_ATTRITION = 0.011
# fmt: off
QUESTIONS = ("q01_leadership_trust", "q02_leadership_clarity", "q03_growth_learning",
             "q04_growth_career", "q05_culture_belonging", "q06_culture_feedback",
             "q07_wellbeing_workload", "q08_wellbeing_balance", "q09_alignment_strategy",
             "q10_alignment_goals")
# fmt: on
DIMENSIONS = ("leadership", "growth", "culture", "wellbeing", "alignment")
DIMENSION_OFFSET = np.array([0.0, -0.25, 0.2, -0.15, 0.05])
DEPARTMENT_OFFSET = np.array([-0.1, 0, 0.1, 0.15, 0, -0.25, 0, 0, 0, 0.3])


class Staff:
    """Employees (growing arrays); `table` numbers them by hire date."""

    def __init__(self) -> None:
        self.columns: dict[str, list[np.ndarray]] = {}

    def add(self, rng: np.random.Generator, department: np.ndarray, hired: np.ndarray) -> None:
        n = len(department)
        line = np.where(rng.random(n) < 0.6, 0, 1)
        line = np.where(np.isin(department, PRODUCT_LINE_DEPARTMENTS), line, -1)
        part = rng.random(n) < PART_TIME[department]
        fte = np.where(part, np.where(rng.random(n) < 0.35, 50, 80), 100)
        draw = rng.random(n)
        currency = np.where((department == 0) & (draw < 0.15), 2, 1)  # US account executives
        currency = np.where((department == 4) & (draw < 0.15), 0, currency)  # DACH CSMs
        base = SALARY_SEK[department] * rng.uniform(0.85, 1.2, n)
        salary = np.select(
            [currency == 1, currency == 0],
            [np.round(base, -2), np.round(base / 11.4 * 1.15, -1)],
            np.round(base / 10.5 * 1.35, -1),
        )
        self._append(department, line, hired, np.full(n, -1), fte, currency, salary,
                     np.zeros(n, bool))  # fmt: skip

    def _append(self, *values: np.ndarray) -> None:
        names = ("department", "line", "hired", "terminated", "fte", "currency", "salary",
                 "scripted")  # fmt: skip
        if not self.columns:
            self.columns = {name: np.asarray(v) for name, v in zip(names, values, strict=True)}
            return
        for name, value in zip(names, values, strict=True):
            self.columns[name] = np.concatenate([self.columns[name], value])

    def __getattr__(self, name: str) -> np.ndarray:
        try:
            return self.__dict__["columns"][name]
        except KeyError:
            raise AttributeError(name) from None


def employees(rng: np.random.Generator, window: Window, factor: float) -> Staff:
    """The team of the first month grows towards the end-of-window plan, with monthly
    attrition (leavers mid-month) and replacement; management stays four people."""
    staff = Staff()
    start_count = np.where(
        np.arange(10) == MANAGEMENT,
        HEADCOUNT[:, 0],
        np.maximum(1, np.round(HEADCOUNT[:, 0] * factor)),
    ).astype(np.int64)
    department = np.repeat(np.arange(10), start_count)
    hired = day_number(dt.date(2017, 1, 2)) + rng.integers(0, 2780, len(department))
    first_of_month = hired - (
        hired.astype("datetime64[D]") - hired.astype("datetime64[D]").astype("datetime64[M]")
    ).astype(np.int64)
    hired = np.where(rng.random(len(hired)) < 0.55, first_of_month, hired)
    staff.add(rng, department, hired)
    script = hard_cases.EMPLOYEES
    staff._append(
        np.array([DEPARTMENTS.index(e.department) for e in script]),
        np.array([0 if e.product_line == "analytics" else -1 for e in script]),
        np.array([day_number(e.hired_on) for e in script]),
        np.array([day_number(e.terminated_on) if e.terminated_on else -1 for e in script]),
        np.array([round(e.fte * 100) for e in script]),
        np.ones(len(script), np.int64),
        np.array([e.salary for e in script]),
        np.ones(len(script), bool),
    )
    for month in range(window.months):
        first = window.bounds[month] // DAY
        last = window.bounds[month + 1] // DAY - 1
        leaving = (
            (staff.terminated < 0) & ~staff.scripted & (staff.department != MANAGEMENT)
            & (staff.hired < first) & (rng.random(len(staff.hired)) < MONTHLY_ATTRITION)
        )  # fmt: skip
        leavers = np.flatnonzero(leaving)
        staff.terminated[leavers] = weekday_in_month(rng, window, np.full(len(leavers), month))
        share = month / (window.months - 1)
        target = HEADCOUNT[:, 0] + (HEADCOUNT[:, 1] - HEADCOUNT[:, 0]) * share
        target = np.where(
            np.arange(10) == MANAGEMENT, target, np.maximum(1, np.round(target * factor))
        )
        active = (staff.hired <= last) & ((staff.terminated < 0) | (staff.terminated >= last))
        present = np.bincount(staff.department[active], minlength=10)
        hires = np.maximum(0, np.round(target).astype(np.int64) - present)
        department = np.repeat(np.arange(10), hires)
        n = len(department)
        # Half the hires start on the first weekday of the month, the others mid-month.
        first_weekday = first + np.array([0, 0, 0, 0, 0, 2, 1])[weekdays(np.array([first]))[0]]
        hired = np.where(rng.random(n) < 0.5, first_weekday,
                         weekday_in_month(rng, window, np.full(n, month)))  # fmt: skip
        staff.add(rng, department, hired)
    order = np.argsort(staff.hired, kind="stable")
    staff.columns = {name: values[order] for name, values in staff.columns.items()}
    return staff


def employees_table(staff: Staff) -> pa.Table:
    n = len(staff.hired)
    return pa.table(
        {
            "employee_id": id_array("emp", np.arange(1, n + 1), id_width(n)),
            "department": labels(DEPARTMENTS, staff.department),
            "product_line": labels(("analytics", "automation"), staff.line),
            "hired_on": dates(staff.hired),
            "terminated_on": dates(np.maximum(staff.terminated, 0), staff.terminated < 0),
            "fte": money(staff.fte),
        }
    )


def payroll(rng: np.random.Generator, window: Window, staff: Staff) -> pa.Table:
    """One row per employee and month worked (prorated), through LAST_PAYROLL_MONTH; salaries
    rise 3 % every April; sales earn commission."""
    months = (
        (LAST_PAYROLL_MONTH.year - window.start.year) * 12
        + LAST_PAYROLL_MONTH.month
        - window.start.month
        + 1
    )
    firsts = add_months(np.full(months + 1, window.start_ts), np.arange(months + 1)) // DAY
    n = len(staff.hired)
    employee = np.repeat(np.arange(n), months)
    month = np.tile(np.arange(months), n)
    first, last = firsts[month], firsts[month + 1] - 1
    begin = np.maximum(first, staff.hired[employee])
    end = np.minimum(
        last, np.where(staff.terminated[employee] < 0, last, staff.terminated[employee])
    )
    worked = end >= begin
    employee, month, first, last, begin, end = (
        a[worked] for a in (employee, month, first, last, begin, end)
    )
    share = (end - begin + 1) / (last - first + 1)
    aprils = np.array([day_number(dt.date(y, 4, 1)) for y in range(window.start.year, 2027)])
    aprils = aprils[aprils > day_number(window.start)]
    revisions = (first[:, None] >= aprils[None, :]).sum(1)
    gross = staff.salary[employee] * staff.fte[employee] / 100 * share * 1.03**revisions
    sales = staff.department[employee] == 0
    gross = np.where(sales, gross * (1 + rng.uniform(0.0, 0.3, len(gross))), gross)
    gross_cents = cents(gross)
    currency = staff.currency[employee]
    employer = cents(gross_cents / 100 * EMPLOYER_COST_RATE[currency])
    return pa.table(
        {
            "employee_id": id_array("emp", employee + 1, id_width(n)),
            "pay_month": dates(first),
            "gross_salary": money(gross_cents),
            "employer_costs": money(employer),
            "currency": labels(CURRENCIES, currency),
        }
    )


def engagement(rng: np.random.Generator, window: Window, staff: Staff) -> pa.Table:
    """Each wave, most active employees answer ten questions under a fresh anonymous token.

    HARD CASE: management (four people at every scale) and other small departments are groups
    of fewer than five respondents, to be suppressed.
    """
    parts = []
    for survey in hard_cases.engagement_surveys(window):
        day = day_number(survey)
        mood = rng.normal(0, 0.1)
        active = (staff.hired <= day) & ((staff.terminated < 0) | (staff.terminated >= day))
        answers = active & ((staff.department == MANAGEMENT) | (rng.random(len(active)) <= 0.82))
        who = np.flatnonzero(answers)
        tokens = rng.integers(0, 2**40, len(who))
        while len(np.unique(tokens)) < len(tokens):  # keep tokens unique within the wave
            tokens = rng.integers(0, 2**40, len(who))
        department = staff.department[who]
        base = 3.9 + mood + DEPARTMENT_OFFSET[department] + rng.normal(0, 0.5, len(who))
        question = np.tile(np.arange(10), len(who))
        respondent = np.repeat(np.arange(len(who)), 10)
        score = np.round(
            base[respondent] + DIMENSION_OFFSET[question // 2] + rng.normal(0, 0.7, len(question))
        )
        answered = rng.random(len(question)) >= 0.03  # skipped questions
        parts.append((np.full(answered.sum(), day), tokens[respondent][answered],
                      question[answered], department[respondent][answered],
                      np.clip(score[answered], 1, 5).astype(np.int64)))  # fmt: skip
    day, token, question, department, score = (np.concatenate(p) for p in zip(*parts, strict=True))
    order = np.lexsort((question, token, day))
    day, token, question, department, score = (
        a[order] for a in (day, token, question, department, score)
    )
    n = len(day)
    tokens, token_code = np.unique(token, return_inverse=True)
    hex_tokens = pa.array([f"r{t:010x}" for t in tokens.tolist()], pa.string())
    days, day_code = np.unique(day, return_inverse=True)
    surveys = pa.array([f"eng_{d:%Y_%m}" for d in days.astype("datetime64[D]").astype(object)])
    return pa.table(
        {
            "response_id": id_array("er", np.arange(1, n + 1), id_width(n)),
            "survey_id": labels(surveys, day_code),
            "survey_date": dates(day),
            "respondent_id": labels(hex_tokens, token_code),
            "department": labels(DEPARTMENTS, department),
            "dimension": labels(DIMENSIONS, question // 2),
            "question_id": labels(QUESTIONS, question),
            "score": pa.array(score, pa.int32()),
        }
    )
