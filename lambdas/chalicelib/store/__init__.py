"""The one owner of the DynamoDB table (as Isso's ``db/comments.py`` owns its SQL): every key,
index, status and transition (``keys``), the reads (``queries``), the submission writes and
decisions (``submissions``), the publish state (``state``) and lock (``lock``). Other modules
call these and spell no key of their own."""
