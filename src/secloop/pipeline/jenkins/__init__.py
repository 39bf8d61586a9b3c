"""Jenkins: declarative (and, best effort, scripted) Jenkinsfiles, read without a Groovy parser."""
