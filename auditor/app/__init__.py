"""The application: configuration, the scan engine, outputs, history, evidence, schedules,
notifications and the simulated-tenant sandbox. It assembles the kernel, the vendor plug-ins
(``providers``), the policy (``policies``) and the formats (``reports``); only the CLI
(``auditor.cli``) stands on it."""
