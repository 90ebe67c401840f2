"""The yardstick of the collector benchmark: a bare Flask app with one POST route answering 303."""

from flask import Flask, redirect

app = Flask(__name__)


@app.post("/submit")
def submit():
    return redirect("/danke/", code=303)
