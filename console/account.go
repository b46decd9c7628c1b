package console

// accountRoutes registers My account and the steps a session may still lack.
func (c *Console) accountRoutes() {}
