def test_landing_page_shows_crisis_numbers_and_headers(patient_app):
    response = patient_app.test_client().get("/")
    assert response.status_code == 200
    assert "988" in response.text and "911" in response.text
    assert response.headers["X-Frame-Options"] == "DENY"
    assert patient_app.test_client().get("/healthz").json == {"status": "ok"}
