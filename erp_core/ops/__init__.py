"""Operations: backups (数据备份), the integrity check with repairs (数据校验), data cleanup (数据清理)."""
