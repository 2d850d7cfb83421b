from schemas import schema_markdown

print(schema_markdown())
