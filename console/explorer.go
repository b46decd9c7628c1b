package console

import "net/http"

func (c *Console) explorer(w http.ResponseWriter, r *http.Request, v *view) error {
	v.Section = "access"
	v.show("explorer.html", "Access explorer", nil)
	return nil
}
