"""Against a live platform: SLIPWAY_URL, SLIPWAY_TOKEN and SLIPWAY_IMAGE (a local image) from the jest e2e runner."""
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from slipway import SlipwayClient, SlipwayError  # noqa: E402


class LiveTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.client = SlipwayClient(base_url=os.environ["SLIPWAY_URL"], token=os.environ["SLIPWAY_TOKEN"])
        cls.project = cls.client.projects.create(name="py-shop")

    def test_contract_example(self):
        client = self.client
        app = client.applications.create(name="py-web", project_id=self.project.id, image=os.environ["SLIPWAY_IMAGE"], replicas=1)
        applications = client.applications.list(project_id=self.project.id, limit=20)
        self.assertIn(app.id, [a.id for a in applications.data])
        self.assertEqual([a.id for a in client.applications.list_all(project_id=self.project.id)], [a.id for a in applications.data])
        deployment = client.applications.deploy(app.id)
        seen = []
        final = client.deployments.wait(deployment.deployment_id, on_progress=seen.append, interval=0.3, timeout=120)
        self.assertEqual(final.status, "success")
        self.assertEqual(final.progress, 100)
        self.assertTrue(seen)

        for log in client.applications.logs(app.id, tail=5):
            self.assertIsInstance(log.message, str)
        # The contract's loop: a followed stream either yields lines or stays open; an HTTP error would raise at once.
        outcome = {}

        def follow():
            try:
                for log in client.applications.logs(app.id, follow=True):
                    outcome["line"] = log.message
                    return
            except Exception as err:  # noqa: BLE001 - reported to the test thread
                outcome["error"] = err

        reader = threading.Thread(target=follow, daemon=True)
        reader.start()
        reader.join(3.0)
        self.assertNotIn("error", outcome)

    def test_errors(self):
        with self.assertRaises(SlipwayError) as caught:
            self.client.applications.get("app-does-not-exist")
        self.assertEqual(caught.exception.status, 404)
        self.assertIn("NOT_FOUND", caught.exception.code)
        self.assertTrue(caught.exception.request_id)
        with self.assertRaises(SlipwayError) as anonymous:
            SlipwayClient(base_url=os.environ["SLIPWAY_URL"]).projects.list()
        self.assertEqual(anonymous.exception.status, 401)


if __name__ == "__main__":
    unittest.main()
