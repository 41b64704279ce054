"""Reconciliation (对账): platform settlement files and bank statements matched against orders,
refunds and purchase orders; fees and supplier payments handed to the ledger through the outbox."""
