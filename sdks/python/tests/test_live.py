"""Runs against a live platform: SLIPWAY_URL and SLIPWAY_TOKEN (tools/e2e/src/python-sdk.e2e.spec.ts sets them)."""
import os
import unittest

from slipway import SlipwayClient, SlipwayError


class LiveTest(unittest.TestCase):
    def setUp(self):
        self.client = SlipwayClient(base_url=os.environ["SLIPWAY_URL"], token=os.environ["SLIPWAY_TOKEN"])

    def test_projects_and_applications(self):
        project = self.client.projects.create("py-demo")
        self.assertEqual(project.name, "py-demo")
        self.assertEqual(self.client.projects.get(project.id).id, project.id)
        apps = self.client.applications.list(project_id=project.id, limit=20)
        self.assertEqual(apps.data, [])

    def test_errors(self):
        with self.assertRaises(SlipwayError) as ctx:
            self.client.projects.get("00000000-0000-4000-8000-000000000000")
        self.assertEqual(ctx.exception.status, 404)
        self.assertIn("NOT_FOUND", ctx.exception.code)
        self.assertTrue(ctx.exception.request_id)


if __name__ == "__main__":
    unittest.main()
