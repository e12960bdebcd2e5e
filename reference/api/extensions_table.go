package api

// extension is an entry of the extensions list.
type extension struct {
	Name        string   `json:"name"`
	Alias       string   `json:"alias"`
	Description string   `json:"description"`
	Updated     string   `json:"updated"`
	Links       []string `json:"links"`
}

// builtinExtensions are the API extensions this layer implements itself,
// as Neutron describes them. Extension drivers add theirs (see
// knownExtensions).
var builtinExtensions = []extension{
	{Name: "agent", Alias: "agent", Description: "The agent management extension.", Updated: "2013-02-03T10:00:00-00:00"},
	{Name: "Port Binding", Alias: "binding", Description: "Expose port bindings of a virtual port to external application", Updated: "2014-02-03T10:00:00-00:00"},
	{Name: "Port Bindings Extended", Alias: "binding-extended", Description: "Expose port bindings of a virtual port to external application", Updated: "2017-07-17T10:00:00-00:00"},
	{Name: "Empty String Filtering Extension", Alias: "empty-string-filtering", Description: "Allow filtering by attributes with empty string value", Updated: "2018-05-01T10:00:00-00:00"},
	{Name: "Neutron external network", Alias: "external-net", Description: "Adds external network attribute to network resource.", Updated: "2013-01-14T10:00:00-00:00"},
	{Name: "Filter parameters validation", Alias: "filter-validation", Description: "Provides validation on filter parameters.", Updated: "2018-07-04T10:00:00-00:00"},
	{Name: "IP address substring filtering", Alias: "ip-substring-filtering", Description: "Provides IP address substring filtering when listing ports", Updated: "2017-11-28T09:00:00-00:00"},
	{Name: "L2 Adjacency", Alias: "l2_adjacency", Description: "Display L2 Adjacency for Neutron Networks.", Updated: "2016-04-12T16:00:00-00:00"},
	{Name: "Multi Provider Network", Alias: "multi-provider", Description: "Expose mapping of virtual networks to multiple physical networks", Updated: "2013-06-27T10:00:00-00:00"},
	{Name: "Network MTU", Alias: "net-mtu", Description: "Provides MTU attribute for a network resource.", Updated: "2015-03-25T10:00:00-00:00"},
	{Name: "Network MTU (writable)", Alias: "net-mtu-writable", Description: "Provides a writable MTU attribute for a network resource.", Updated: "2017-07-12T00:00:00-00:00"},
	{Name: "Network IP Availability", Alias: "network-ip-availability", Description: "Provides IP availability data for each network and subnet.", Updated: "2015-09-24T00:00:00-00:00"},
	{Name: "Pagination support", Alias: "pagination", Description: "Extension that indicates that pagination is enabled.", Updated: "2016-06-12T00:00:00-00:00"},
	{Name: "Neutron Port MAC address regenerate", Alias: "port-mac-address-regenerate", Description: "Network port MAC address regenerate", Updated: "2018-05-03T10:00:00-00:00"},
	{Name: "project_id field enabled", Alias: "project-id", Description: "Extension that indicates that project_id field is enabled.", Updated: "2016-09-09T09:09:09-09:09"},
	{Name: "Provider Network", Alias: "provider", Description: "Expose mapping of virtual networks to physical networks", Updated: "2012-09-07T10:00:00-00:00"},
	{Name: "Quota management support", Alias: "quotas", Description: "Expose functions for quotas management per project", Updated: "2012-07-29T10:00:00-00:00"},
	{Name: "Quota details management support", Alias: "quota_details", Description: "Expose functions for quotas usage statistics per project", Updated: "2017-02-10T10:00:00-00:00"},
	{Name: "If-Match constraints based on revision_number", Alias: "revision-if-match", Description: "Extension indicating that If-Match based on revision_number is supported.", Updated: "2016-12-11T00:00:00-00:00"},
	{Name: "Segment", Alias: "segment", Description: "Segments extension.", Updated: "2016-02-24T17:00:00-00:00"},
	{Name: "Sorting support", Alias: "sorting", Description: "Extension that indicates that sorting is enabled.", Updated: "2016-06-12T00:00:00-00:00"},
	{Name: "standard-attr-description", Alias: "standard-attr-description", Description: "Extension to add descriptions to standard attributes", Updated: "2016-02-10T10:00:00-00:00"},
	{Name: "Resource revision numbers", Alias: "standard-attr-revisions", Description: "This extension will display the revision number of neutron resources.", Updated: "2016-04-11T10:00:00-00:00"},
	{Name: "Tag support for resources with standard attribute: port, subnet, subnetpool, network, security_group, router, floatingip, policy, trunk, network_segment_range", Alias: "standard-attr-tag", Description: "Enables to set tag on resources with standard attribute.", Updated: "2017-01-01T00:00:00-00:00"},
	{Name: "Resource timestamps", Alias: "standard-attr-timestamp", Description: "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.", Updated: "2016-09-12T10:00:00-00:00"},
	{Name: "Subnet service types", Alias: "subnet-service-types", Description: "Provides ability to set the subnet service_types field", Updated: "2016-03-15T18:00:00-00:00"},
}

// knownExtensions describe the aliases extension drivers may provide.
var knownExtensions = []extension{
	{Name: "Port Security", Alias: "port-security", Description: "Provides port security", Updated: "2012-07-23T10:00:00-00:00"},
}
