"""Serializers for the demo's action steps: they validate what a person submits."""

from rest_framework import serializers


class ReviewSerializer(serializers.Serializer):
    workflow_run_id = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    priority = serializers.ChoiceField(choices=["low", "medium", "high"], default="medium")
    reviewer_notes = serializers.CharField(max_length=500)
