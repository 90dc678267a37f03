"""The domain: vocabulary (enums, orders) and the field table, shared by every layer."""
