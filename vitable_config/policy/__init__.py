"""Contribution policies and cost impact (issue 16).

- :mod:`~vitable_config.policy.model`: violations and cost reports, plain data on the Plan.
- :mod:`~vitable_config.policy.rules`: the built-in rule kinds and custom expressions.
- :mod:`~vitable_config.policy.load`: the ``policies:`` sections of the config files.
- :mod:`~vitable_config.policy.evaluate`: run the rules in validate, plan and apply.
- :mod:`~vitable_config.policy.cost`: the headcount file and contribution totals.
"""
