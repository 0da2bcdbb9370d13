-- HTTP validators of each source's last full response, sent back as a conditional GET.
ALTER TABLE sources ADD COLUMN etag TEXT;
ALTER TABLE sources ADD COLUMN last_modified TEXT;
