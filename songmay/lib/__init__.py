"""Framework-free helpers: Vietnamese text, spreadsheets, money, phone numbers."""
