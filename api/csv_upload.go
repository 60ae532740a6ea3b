package api

import (
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/gin-gonic/gin"
)

// csvUpload finds the CSV of an import request: the body itself (text/csv) or
// the "file" part of multipart/form-data. Parts before the file go to field,
// which answers and returns false when one is bad; multipart says which form
// the request took (a plain body carries its other fields in the query). On
// false the request has been answered.
func csvUpload(c *gin.Context, body io.ReadCloser, field func(*multipart.Part) bool) (file io.Reader, multipartForm, ok bool) {
	mediaType, params, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch mediaType {
	case "text/csv", "text/plain", "application/csv":
		return body, false, true
	case "multipart/form-data":
		c.Request.Body = body
		mr, err := c.Request.MultipartReader()
		if err != nil || params["boundary"] == "" {
			fail(c, http.StatusBadRequest, "malformed multipart body")
			return nil, true, false
		}
		for {
			part, err := mr.NextPart()
			if err != nil {
				fail(c, http.StatusBadRequest, "multipart body has no \"file\" part")
				return nil, true, false
			}
			if part.FormName() == "file" {
				return part, true, true
			}
			if field != nil && !field(part) {
				return nil, true, false
			}
		}
	default:
		fail(c, http.StatusUnsupportedMediaType, "send text/csv, or multipart/form-data with a \"file\" part")
		return nil, false, false
	}
}
