id = "{aff4b598-2925-4145-9a72-232984d129ca}"
version = "0.5.0"
title = "compas_cloud"
