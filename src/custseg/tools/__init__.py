"""The tools around the warehouse: publishing the build for readers, the docs site's
pictures and checks, and (custseg.sampledata) the generated sample data."""
