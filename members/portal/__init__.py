"""The member portal at `/p/{slug}/`: server-rendered pages where a shopper sees and spends their points."""
