package console

// settingsRoutes registers Settings → User Management.
func (c *Console) settingsRoutes() {}
