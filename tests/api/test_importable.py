"""``statezero_action`` imports and works in a process where StateZero cannot be imported."""

import subprocess
import sys
import textwrap


def test_statezero_action_imports_without_statezero():
    script = textwrap.dedent("""
        import sys
        sys.modules["statezero"] = None  # any "import statezero..." now raises ImportError
        import django
        from django.conf import settings
        settings.configure(INSTALLED_APPS=["django.contrib.contenttypes",
                                           "django.contrib.auth", "rest_framework",
                                           "django_ai.automation.workflows"])
        django.setup()
        from rest_framework import serializers
        from django_ai.automation.workflows import statezero_integration
        from django_ai.automation.workflows.core import complete, step
        from django_ai.automation.workflows.statezero_action import statezero_action

        class Notes(serializers.Serializer):
            notes = serializers.CharField()

        @statezero_action(name="importable_check", serializer=Notes)
        @step(start=True)
        def review(self, notes):
            return complete()

        assert statezero_integration.AVAILABLE is False
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
